import { dispose } from "@livekit/rtc-node";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { waitFor } from "../../../test/support/processes.ts";
import {
  addMember,
  type MeetingsHarness,
  scheduleMeeting,
  startMeetingsHarness,
  type User,
} from "./harness.ts";
import { connectParticipant, publishMicrophone, waitDisconnected } from "./rtc-client.ts";

/**
 * Real participants (@livekit/rtc-node) in a real livekit-server whose webhooks reach the app over loopback:
 * the participant list, mute, live permissions, removal that keeps people out, webhook replay and forgery,
 * and the meeting ending when its room finishes.
 */
let h: MeetingsHarness;
let host: User;
beforeAll(async () => {
  h = await startMeetingsHarness(inject("postgresAdminUrl"), "meetings_participants", { liveKitNodes: 1 });
  host = await h.user();
});
afterAll(async () => {
  if (process.env.MEETINGS_TEST_LOGS)
    console.log(
      h.logs
        .filter((l) => l.includes("webhook") || l.includes("error"))
        .slice(0, 40)
        .join("\n"),
    );
  await dispose();
  await h.stop();
});

async function join(meetingId: string, user: User): Promise<{ url: string; token: string; room: string }> {
  const res = await h.request(`/v1/meetings/${meetingId}/join`, { method: "POST", user });
  if (res.status !== 200) throw new Error(`join answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as { url: string; token: string; room: string };
}

interface ParticipantView {
  userId: string;
  tracks: { sid: string; muted: boolean; source: string }[];
}
async function participants(meetingId: string): Promise<ParticipantView[]> {
  const res = await h.request(`/v1/meetings/${meetingId}/participants`, { user: host });
  return ((await res.json()) as { participants: ParticipantView[] }).participants;
}

describe("participants in a live room", () => {
  it("lists, mutes, changes permissions live, and removes for good", async () => {
    const m = await scheduleMeeting(h, host);
    const attendee = await h.user();
    await addMember(h, m.id, host, attendee);
    const hostJoin = await join(m.id, host);
    const hostRoom = await connectParticipant(hostJoin.url, hostJoin.token);
    const attendeeJoin = await join(m.id, attendee);
    const attendeeRoom = await connectParticipant(attendeeJoin.url, attendeeJoin.token);
    const mic = await publishMicrophone(attendeeRoom);

    // State comes from LiveKit's participant_joined and track_published webhooks.
    await waitFor("both participants and the track in the list", async () => {
      const list = await participants(m.id);
      return list.length === 2 && list.some((p) => p.tracks.some((t) => t.sid === mic.sid));
    });
    const meeting = await (await h.request(`/v1/meetings/${m.id}`, { user: host })).json();
    expect(meeting).toMatchObject({ state: "live" });

    const mute = await h.request(`/v1/meetings/${m.id}/participants/${attendee.id}/tracks/${mic.sid}/mute`, {
      method: "POST",
      user: host,
      json: { muted: true },
    });
    expect(mute.status).toBe(200);
    expect(await mute.json()).toEqual({ sid: mic.sid, muted: true });
    const seen = await h.service.context.rooms.getParticipant(hostJoin.room, attendee.id);
    expect(seen.tracks.find((t) => t.sid === mic.sid)?.muted).toBe(true);
    const notMine = await h.request(`/v1/meetings/${m.id}/participants/${host.id}/tracks/${mic.sid}/mute`, {
      method: "POST",
      user: attendee,
      json: { muted: true },
    });
    expect(notMine.status).toBe(403);

    const revoke = await h.request(`/v1/meetings/${m.id}/participants/${attendee.id}/permissions`, {
      method: "PUT",
      user: host,
      json: { canPublish: false },
    });
    expect(await revoke.json()).toMatchObject({ canPublish: false, appliedLive: true });
    await waitFor("LiveKit to apply the revoked permission", async () => {
      const p = await h.service.context.rooms.getParticipant(hostJoin.room, attendee.id);
      return p.permission?.canPublishSources.length === 0 && p.permission.canPublish === false;
    });

    const disconnected = waitDisconnected(attendeeRoom);
    const removed = await h.request(`/v1/meetings/${m.id}/participants/${attendee.id}/remove`, {
      method: "POST",
      user: host,
    });
    expect(await removed.json()).toMatchObject({ userId: attendee.id, removed: true });
    await disconnected;
    await mic.close();

    // Old token: refused by LiveKit (revokeTokenTs), or evicted at once if it slipped in.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const rejoined = await connectParticipant(attendeeJoin.url, attendeeJoin.token).then(
      async (room) => {
        await waitFor("the removed participant to be evicted", async () => !room.isConnected, 10_000);
        return "evicted";
      },
      () => "refused",
    );
    expect(["refused", "evicted"]).toContain(rejoined);
    console.info(`removed participant's old token: ${rejoined}`);
    await waitFor("the list to drop the removed participant", async () =>
      (await participants(m.id)).every((p) => p.userId !== attendee.id),
    );
    // New token: never issued.
    const again = await h.request(`/v1/meetings/${m.id}/join`, { method: "POST", user: attendee });
    expect(again.status).toBe(403);
    expect(((await again.json()) as { code: string }).code).toBe("participant_removed");
    const reinvite = await h.request(`/v1/meetings/${m.id}/invitations`, {
      method: "POST",
      user: host,
      json: { kind: "link", maxUses: 1, expiresInSeconds: 60 },
    });
    const { code } = (await reinvite.json()) as { code: string };
    const accept = await h.request("/v1/invitations/accept", {
      method: "POST",
      user: attendee,
      json: { code },
    });
    expect(accept.status).toBe(403);

    const removeHost = await h.request(`/v1/meetings/${m.id}/participants/${host.id}/remove`, {
      method: "POST",
      user: host,
    });
    expect(removeHost.status).toBe(409);
    await hostRoom.disconnect();
  });

  it("the meeting ends when its room finishes", async () => {
    const m = await scheduleMeeting(h, host);
    const body = await join(m.id, host);
    const room = await connectParticipant(body.url, body.token);
    await waitFor("the host in the list", async () => (await participants(m.id)).length === 1);
    await h.service.context.rooms.deleteRoom(body.room);
    await waitFor("room_finished to end the meeting", async () => {
      const res = await h.request(`/v1/meetings/${m.id}`, { user: host });
      return ((await res.json()) as { state: string }).state === "ended";
    });
    expect(await (await h.request(`/v1/meetings/${m.id}`, { user: host })).json()).toMatchObject({
      endedReason: "room_finished",
    });
    expect(await participants(m.id)).toEqual([]);
    await room.disconnect();
  });

  it("the host ends a live meeting: rooms closed, later joins refused", async () => {
    const m = await scheduleMeeting(h, host);
    const body = await join(m.id, host);
    const room = await connectParticipant(body.url, body.token);
    const gone = waitDisconnected(room);
    const end = await h.request(`/v1/meetings/${m.id}/end`, { method: "POST", user: host });
    expect(await end.json()).toMatchObject({ state: "ended", endedReason: "ended_by_host" });
    await gone;
    expect((await h.request(`/v1/meetings/${m.id}/join`, { method: "POST", user: host })).status).toBe(409);
  });

  it("the reconciler repairs state a lost webhook left wrong", async () => {
    const m = await scheduleMeeting(h, host);
    const body = await join(m.id, host);
    const room = await connectParticipant(body.url, body.token);
    await waitFor("the host in the list", async () => (await participants(m.id)).length === 1);
    // As if participant_left had been delivered for a session that is in fact still connected.
    await h.db.sql`update room_participants set state = 'left' where meeting_id = ${m.id}`;
    expect(await participants(m.id)).toEqual([]);
    await h.service.reconciler.reconcileAll();
    expect((await participants(m.id)).map((p) => p.userId)).toEqual([host.id]);
    await room.disconnect();
  });
});

describe("webhooks", () => {
  /** The JSON livekit-server posts (protobuf JSON names; createdAt in seconds, as a string). */
  const event = (fields: Record<string, unknown>) =>
    JSON.stringify({ createdAt: String(Math.floor(Date.now() / 1000)), ...fields });

  it("replays change nothing; forged or tampered webhooks are refused", async () => {
    const m = await scheduleMeeting(h, host);
    await join(m.id, host);
    const guest = await h.user();
    await addMember(h, m.id, host, guest);
    const room = { name: `meeting-${m.id}`, sid: "RM_test" };
    const participant = { sid: "PA_replayed", identity: guest.id, kind: 0 };
    const joined = event({ id: "EV_join_1", event: "participant_joined", room, participant });
    const first = await h.signedWebhook(joined);
    expect(await first.json()).toEqual({ outcome: "applied" });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const left = event({ id: "EV_left_1", event: "participant_left", room, participant });
    expect(await (await h.signedWebhook(left)).json()).toEqual({ outcome: "applied" });
    const snapshot = await h.db.sql`select * from room_participants where identity = ${guest.id}`;
    const replay = await h.signedWebhook(joined);
    expect(await replay.json()).toEqual({ outcome: "duplicate" });
    expect(await h.db.sql`select * from room_participants where identity = ${guest.id}`).toEqual(snapshot);
    expect(snapshot[0]).toMatchObject({ state: "left" });

    const forged = await h.signedWebhook(
      event({ id: "EV_forged", event: "room_finished", room }),
      "f".repeat(40),
    );
    expect(forged.status).toBe(401);
    expect(((await forged.json()) as { code: string }).code).toBe("invalid_webhook");
    const { AccessToken } = await import("livekit-server-sdk");
    const at = new AccessToken(h.config.livekit.apiKey, h.config.livekit.apiSecret);
    at.sha256 = "AAAA";
    const tampered = await h.request("/livekit/webhook", {
      method: "POST",
      body: event({ id: "EV_t2", event: "room_finished", room }),
      headers: { authorization: await at.toJwt(), "content-type": "application/webhook+json" },
    });
    expect(tampered.status).toBe(401);
    const unsigned = await h.request("/livekit/webhook", { method: "POST", body: joined });
    expect(unsigned.status).toBe(401);
    expect(await (await h.request(`/v1/meetings/${m.id}`, { user: host })).json()).toMatchObject({
      state: "live",
    });
  });
});
