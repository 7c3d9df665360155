import { randomUUID } from "node:crypto";
import { jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import {
  addMember,
  LIVEKIT,
  type MeetingsHarness,
  metricValue,
  scheduleMeeting,
  startMeetingsHarness,
  type User,
} from "./harness.ts";

/** Join against a real livekit-server: tokens checked grant by grant, and capacity under a 600-way storm. */
let h: MeetingsHarness;
let host: User;
beforeAll(async () => {
  h = await startMeetingsHarness(inject("postgresAdminUrl"), "meetings_join", { liveKitNodes: 1 });
  host = await h.user();
});
afterAll(async () => h.stop());

interface JoinBody {
  url: string;
  token: string;
  expiresAt: string;
  room: string;
  role: string;
  grants: { canPublishSources: string[] };
  clientSettings: {
    adaptiveStream: boolean;
    dynacast: boolean;
    maxVisibleVideoTiles: number;
    autoSubscribe: boolean;
  };
}

async function join(meetingId: string, user: User): Promise<JoinBody> {
  const res = await h.request(`/v1/meetings/${meetingId}/join`, { method: "POST", user });
  if (res.status !== 200) throw new Error(`join answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as JoinBody;
}

/** The token verified with the LiveKit API secret (HS256, iss = API key), as livekit-server checks it. */
async function decode(token: string) {
  const { payload } = await jwtVerify(token, new TextEncoder().encode(LIVEKIT.apiSecret), {
    issuer: LIVEKIT.apiKey,
    algorithms: ["HS256"],
  });
  return payload as {
    sub: string;
    exp: number;
    nbf: number;
    metadata: string;
    video: Record<string, unknown>;
  };
}

describe("join tokens", () => {
  it("grant by grant: host, co-host, presenter and attendee of a meeting", async () => {
    const m = await scheduleMeeting(h, host, { capacity: 8 });
    const [cohost, presenter, attendee] = [await h.user(), await h.user(), await h.user()];
    await addMember(h, m.id, host, cohost, "co-host");
    await addMember(h, m.id, host, presenter, "presenter");
    await addMember(h, m.id, host, attendee, "attendee");

    const hostJoin = await join(m.id, host);
    expect(hostJoin.url).toBe(h.nodes[0]!.wsUrl);
    expect(hostJoin.room).toBe(`meeting-${m.id}`);
    const room = `meeting-${m.id}`;
    const all = ["camera", "microphone", "screen_share", "screen_share_audio"];
    const expected = {
      [host.id]: { roomAdmin: true, canPublishSources: all, role: "host" },
      [cohost.id]: { roomAdmin: true, canPublishSources: all, role: "co-host" },
      [presenter.id]: { roomAdmin: false, canPublishSources: all, role: "presenter" },
      [attendee.id]: { roomAdmin: false, canPublishSources: ["camera", "microphone"], role: "attendee" },
    };
    for (const user of [host, cohost, presenter, attendee]) {
      const body = user === host ? hostJoin : await join(m.id, user);
      const claims = await decode(body.token);
      const want = expected[user.id]!;
      expect(claims.sub).toBe(user.id);
      expect(claims.exp - claims.nbf).toBe(600);
      expect(JSON.parse(claims.metadata)).toEqual({ meetingId: m.id, role: want.role });
      expect(claims.video).toEqual({
        roomJoin: true,
        room,
        canPublish: true,
        canSubscribe: true,
        canPublishData: true,
        canUpdateOwnMetadata: false,
        canPublishSources: want.canPublishSources,
        ...(want.roomAdmin ? { roomAdmin: true } : { roomAdmin: false }),
      });
      expect(body.grants.canPublishSources).toEqual(want.canPublishSources);
    }
    expect(hostJoin.clientSettings).toEqual({
      adaptiveStream: false,
      dynacast: false,
      simulcast: true,
      autoSubscribe: true,
      maxVisibleVideoTiles: 8,
    });
  });

  it("webinar attendees subscribe only; screen sharing follows the meeting's setting", async () => {
    const m = await scheduleMeeting(h, host, {
      capacity: 300,
      mode: "webinar",
      settings: { screenShareRoles: ["host"] },
    });
    const [presenter, attendee] = [await h.user(), await h.user()];
    await addMember(h, m.id, host, presenter, "presenter");
    await addMember(h, m.id, host, attendee, "attendee");
    const hostClaims = await decode((await join(m.id, host)).token);
    expect(hostClaims.video.canPublishSources).toEqual([
      "camera",
      "microphone",
      "screen_share",
      "screen_share_audio",
    ]);
    const presenterClaims = await decode((await join(m.id, presenter)).token);
    expect(presenterClaims.video.canPublishSources).toEqual(["camera", "microphone"]);
    const attendeeJoin = await join(m.id, attendee);
    const attendeeClaims = await decode(attendeeJoin.token);
    expect(attendeeClaims.video).toMatchObject({
      canPublish: false,
      canSubscribe: true,
      canPublishData: false,
      canPublishSources: [],
      roomAdmin: false,
    });
    expect(attendeeJoin.clientSettings).toMatchObject({
      adaptiveStream: true,
      dynacast: true,
      autoSubscribe: false,
    });
  });

  it("large meetings get adaptive stream, dynacast and a bounded number of tiles", async () => {
    const m = await scheduleMeeting(h, host, { capacity: 500 });
    const body = await join(m.id, host);
    expect(body.clientSettings).toEqual({
      adaptiveStream: true,
      dynacast: true,
      simulcast: true,
      autoSubscribe: false,
      maxVisibleVideoTiles: 25,
    });
    // The room exists in LiveKit, created through the room service with the meeting's size.
    const [room] = await h.service.context.rooms.listRooms([body.room]);
    expect(room?.maxParticipants).toBe(501);
    expect(room?.emptyTimeout).toBe(300);
  });

  it("a live permission grant changes the next token: screen share for an attendee", async () => {
    const m = await scheduleMeeting(h, host);
    const attendee = await h.user();
    await addMember(h, m.id, host, attendee);
    await join(m.id, host);
    const grant = await h.request(`/v1/meetings/${m.id}/participants/${attendee.id}/permissions`, {
      method: "PUT",
      user: host,
      json: { canScreenShare: true },
    });
    expect(grant.status).toBe(200);
    expect(await grant.json()).toMatchObject({ canScreenShare: true, appliedLive: false });
    expect((await decode((await join(m.id, attendee)).token)).video.canPublishSources).toEqual(all4());
    await h.request(`/v1/meetings/${m.id}/participants/${attendee.id}/permissions`, {
      method: "PUT",
      user: host,
      json: { canPublish: false, canScreenShare: false },
    });
    expect((await decode((await join(m.id, attendee)).token)).video).toMatchObject({
      canPublish: false,
      canPublishSources: [],
    });
  });

  it("the pre-join name becomes the participant's name in the room; a bad name is refused naming the field", async () => {
    const m = await scheduleMeeting(h, host);
    const named = await h.request(`/v1/meetings/${m.id}/join`, {
      method: "POST",
      user: host,
      json: { name: "  Hana at the office " },
    });
    expect(named.status).toBe(200);
    const claims = (await decode(((await named.json()) as JoinBody).token)) as { name?: string; sub: string };
    expect(claims).toMatchObject({ name: "Hana at the office", sub: host.id });
    // Without a body the token carries no name, as before.
    expect((await decode((await join(m.id, host)).token)) as { name?: string }).not.toHaveProperty("name");

    const bad = await h.request(`/v1/meetings/${m.id}/join`, {
      method: "POST",
      user: host,
      json: { name: "x".repeat(101) },
    });
    expect(bad.status).toBe(422);
    expect(await bad.json()).toMatchObject({
      errors: [{ field: "name", message: "expected at most 100 characters" }],
    });
  });
});

const all4 = () => ["camera", "microphone", "screen_share", "screen_share_audio"];

describe("capacity", () => {
  it("600 concurrent joins to a 500-seat meeting admit exactly 500 and refuse 100 clearly", async () => {
    const m = await scheduleMeeting(h, host, { capacity: 500 });
    const users = await Promise.all(Array.from({ length: 600 }, () => h.user()));
    // Members are written directly: what is under test is the join, not 600 invitation round trips.
    await h.db
      .sql`insert into meeting_members ${h.db.sql(users.map((u) => ({ meeting_id: m.id, user_id: u.id, role: "attendee" })))}`;
    // The host starts the meeting without taking a seat before the storm: end with their seat released.
    await join(m.id, host);
    await h.service.context.seats.release(m.id, host.id);
    const before = await metricText();
    const responses = await Promise.all(
      users.map((u) => h.request(`/v1/meetings/${m.id}/join`, { method: "POST", user: u })),
    );
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(500);
    expect(statuses.filter((s) => s === 409)).toHaveLength(100);
    const refused = await responses.find((r) => r.status === 409)!.json();
    expect(refused).toMatchObject({
      code: "meeting_full",
      detail: "the meeting is full: all 500 seats are taken",
    });
    expect(await h.redis.zcard(`gomeet:meetings:seats:{${m.id}}`)).toBe(500);
    // A member already holding a seat gets a fresh token without taking a second one.
    const admitted = users[statuses.indexOf(200)]!;
    expect((await h.request(`/v1/meetings/${m.id}/join`, { method: "POST", user: admitted })).status).toBe(
      200,
    );
    const after = await metricText();
    const full = metricValue(after, "gomeet_meeting_joins_total", { outcome: "full" }) ?? 0;
    expect(full - (metricValue(before, "gomeet_meeting_joins_total", { outcome: "full" }) ?? 0)).toBe(100);
    const ghost = randomUUID();
    expect((await h.service.context.seats.admit(m.id, ghost, 500)).admitted).toBe(false);
  });
});

async function metricText(): Promise<string> {
  return await (await h.request("/metrics")).text();
}
