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

/** The waiting room against real PostgreSQL, redis-server and livekit-server: who waits, who decides, tokens. */
let h: MeetingsHarness;
let host: User;
beforeAll(async () => {
  h = await startMeetingsHarness(inject("postgresAdminUrl"), "meetings_waiting", { liveKitNodes: 1 });
  host = await h.user();
});
afterAll(async () => h.stop());

const join = (meetingId: string, user: User) =>
  h.request(`/v1/meetings/${meetingId}/join`, { method: "POST", user });
const waiting = (meetingId: string, user: User, suffix = "") =>
  h.request(`/v1/meetings/${meetingId}/waiting${suffix}`, {
    method: suffix === "" ? "GET" : "POST",
    user,
  });
const admit = (meetingId: string, user: User, by: User) => waiting(meetingId, by, `/${user.id}/admit`);
const deny = (meetingId: string, user: User, by: User) => waiting(meetingId, by, `/${user.id}/deny`);

async function decode(token: string) {
  const { payload } = await jwtVerify(token, new TextEncoder().encode(LIVEKIT.apiSecret), {
    issuer: LIVEKIT.apiKey,
    algorithms: ["HS256"],
  });
  return payload as { sub: string; metadata: string; video: Record<string, unknown> };
}

async function problem(res: Response, status: number, code: string) {
  const body = (await res.json()) as { code: string; detail: string; errors?: { field: string }[] };
  expect({ status: res.status, code: body.code }, body.detail).toEqual({ status, code });
  expect(res.headers.get("content-type")).toBe("application/problem+json");
  return body;
}

/** A live waiting-room meeting (the host joined, so it started) with `n` attendees. */
async function liveWaitingMeeting(n: number, overrides: Record<string, unknown> = {}) {
  const m = await scheduleMeeting(h, host, { settings: { waitingRoom: true }, ...overrides });
  const attendees: User[] = [];
  for (let i = 0; i < n; i++) {
    const user = await h.user();
    await addMember(h, m.id, host, user);
    attendees.push(user);
  }
  expect((await join(m.id, host)).status).toBe(200);
  return { id: m.id, attendees };
}

describe("attendees wait", () => {
  it("waiting → 202 on every poll → admitted → a token with the attendee's grants", async () => {
    const m = await liveWaitingMeeting(2);
    const [first, second] = m.attendees as [User, User];
    const seatsBefore = await h.service.context.seats.taken(m.id);

    const res = await join(m.id, first);
    expect(res.status).toBe(202);
    expect(res.headers.get("retry-after")).toBe("3");
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      status: "waiting",
      meetingId: m.id,
      position: 1,
      pollAfterSeconds: 3,
      poll: { method: "POST", path: `/v1/meetings/${m.id}/join` },
    });
    expect(body).not.toHaveProperty("token");
    const secondWait = (await (await join(m.id, second)).json()) as { position: number };
    expect(secondWait.position).toBe(2);
    // Polling keeps the place in the queue and takes no seat.
    const again = await join(m.id, first);
    expect(again.status).toBe(202);
    expect(((await again.json()) as { requestedAt: string }).requestedAt).toBe(body.requestedAt);
    expect(await h.service.context.seats.taken(m.id)).toBe(seatsBefore);

    const list = (await (await waiting(m.id, host)).json()) as { waiting: { userId: string }[] };
    expect(list.waiting.map((w) => w.userId)).toEqual([first.id, second.id]);

    const admitted = await admit(m.id, first, host);
    expect(admitted.status).toBe(200);
    expect(await admitted.json()).toMatchObject({ userId: first.id, status: "admitted", decidedBy: host.id });

    const joined = await join(m.id, first);
    expect(joined.status).toBe(200);
    const claims = await decode(((await joined.json()) as { token: string }).token);
    expect(claims.sub).toBe(first.id);
    expect(JSON.parse(claims.metadata)).toEqual({ meetingId: m.id, role: "attendee" });
    expect(claims.video).toEqual({
      roomJoin: true,
      room: `meeting-${m.id}`,
      canPublish: true,
      canSubscribe: true,
      canPublishData: true,
      canUpdateOwnMetadata: false,
      canPublishSources: ["camera", "microphone"],
      roomAdmin: false,
    });
    expect(await h.service.context.seats.taken(m.id)).toBe(seatsBefore + 1);
    // The admitted one left the queue; the other moved up.
    const after = (await (await waiting(m.id, host)).json()) as { waiting: { userId: string }[] };
    expect(after.waiting.map((w) => w.userId)).toEqual([second.id]);
    expect(((await (await join(m.id, second)).json()) as { position: number }).position).toBe(1);
  });

  it("deny → 403 admission_denied on every later join; decisions are final", async () => {
    const m = await liveWaitingMeeting(2);
    const [denied, admittedUser] = m.attendees as [User, User];
    expect((await join(m.id, denied)).status).toBe(202);
    expect((await join(m.id, admittedUser)).status).toBe(202);
    expect(await (await deny(m.id, denied, host)).json()).toMatchObject({ status: "denied" });
    for (let i = 0; i < 3; i++) await problem(await join(m.id, denied), 403, "admission_denied");
    // Idempotent: denying again answers the same entry.
    expect(await (await deny(m.id, denied, host)).json()).toMatchObject({ status: "denied" });
    const reAdmit = await problem(await admit(m.id, denied, host), 409, "invalid_transition");
    expect(reAdmit.errors?.[0]?.field).toBe("userId");
    await problem(await join(m.id, denied), 403, "admission_denied");

    expect((await admit(m.id, admittedUser, host)).status).toBe(200);
    const late = await problem(await deny(m.id, admittedUser, host), 409, "invalid_transition");
    expect(late.detail).toContain("/remove");
    expect((await join(m.id, admittedUser)).status).toBe(200);
  });

  it("attendees may wait before the meeting starts; admitted ones then wait for the host to start it", async () => {
    const m = await scheduleMeeting(h, host, { settings: { waitingRoom: true } });
    const attendee = await h.user();
    await addMember(h, m.id, host, attendee);
    expect((await join(m.id, attendee)).status).toBe(202);
    expect((await admit(m.id, attendee, host)).status).toBe(200);
    await problem(await join(m.id, attendee), 409, "meeting_not_started");
    expect((await join(m.id, host)).status).toBe(200);
    expect((await join(m.id, attendee)).status).toBe(200);
  });

  it("admit all admits everyone waiting, once", async () => {
    const m = await liveWaitingMeeting(3);
    for (const a of m.attendees) expect((await join(m.id, a)).status).toBe(202);
    const all = await waiting(m.id, host, "/admit-all");
    expect(all.status).toBe(200);
    const { admitted } = (await all.json()) as { admitted: { userId: string; status: string }[] };
    expect(admitted.map((e) => e.userId).sort()).toEqual(m.attendees.map((a) => a.id).sort());
    expect(admitted.every((e) => e.status === "admitted")).toBe(true);
    expect(await (await waiting(m.id, host, "/admit-all")).json()).toEqual({ admitted: [] });
    expect(await (await waiting(m.id, host)).json()).toEqual({ waiting: [] });
    for (const a of m.attendees) expect((await join(m.id, a)).status).toBe(200);
  });
});

describe("who decides and who bypasses", () => {
  it("only the host and co-hosts may list, admit, deny or admit all", async () => {
    const m = await liveWaitingMeeting(2);
    const [waiter, other] = m.attendees as [User, User];
    const [cohost, presenter, outsider] = [await h.user(), await h.user(), await h.user()];
    await addMember(h, m.id, host, cohost, "co-host");
    await addMember(h, m.id, host, presenter, "presenter");
    expect((await join(m.id, waiter)).status).toBe(202);
    for (const who of [presenter, other]) {
      await problem(await waiting(m.id, who), 403, "forbidden");
      await problem(await admit(m.id, waiter, who), 403, "forbidden");
      await problem(await deny(m.id, waiter, who), 403, "forbidden");
      await problem(await waiting(m.id, who, "/admit-all"), 403, "forbidden");
    }
    // A non-member cannot even learn that the meeting exists.
    await problem(await waiting(m.id, outsider), 404, "meeting_not_found");
    await problem(await admit(m.id, waiter, outsider), 404, "meeting_not_found");
    // Still waiting: none of the refused calls decided anything.
    expect((await join(m.id, waiter)).status).toBe(202);
    const list = (await (await waiting(m.id, cohost)).json()) as { waiting: { userId: string }[] };
    expect(list.waiting.map((w) => w.userId)).toEqual([waiter.id]);
    expect(await (await admit(m.id, waiter, cohost)).json()).toMatchObject({ decidedBy: cohost.id });
  });

  it("host, co-host and presenter get a token at once and never appear in the queue", async () => {
    const m = await scheduleMeeting(h, host, { settings: { waitingRoom: true } });
    const [cohost, presenter] = [await h.user(), await h.user()];
    await addMember(h, m.id, host, cohost, "co-host");
    await addMember(h, m.id, host, presenter, "presenter");
    for (const who of [host, cohost, presenter]) {
      const res = await join(m.id, who);
      expect(res.status).toBe(200);
      expect((await decode(((await res.json()) as { token: string }).token)).sub).toBe(who.id);
    }
    expect(await (await waiting(m.id, host)).json()).toEqual({ waiting: [] });
    const [entries] = await h.db
      .sql`select count(*)::int as n from waiting_room_entries where meeting_id = ${m.id}`;
    expect(entries?.n).toBe(0);
  });

  it("a meeting without the setting is unchanged: attendees get a token, nobody waits", async () => {
    const m = await scheduleMeeting(h, host);
    const attendee = await h.user();
    await addMember(h, m.id, host, attendee);
    expect((await join(m.id, host)).status).toBe(200);
    const res = await join(m.id, attendee);
    expect(res.status).toBe(200);
    expect((await decode(((await res.json()) as { token: string }).token)).sub).toBe(attendee.id);
    expect(await (await waiting(m.id, host)).json()).toEqual({ waiting: [] });
    await problem(await admit(m.id, attendee, host), 404, "waiting_entry_not_found");
  });
});

describe("state and capacity", () => {
  it("concurrent admits of one user, and concurrent polls, are idempotent", async () => {
    const m = await liveWaitingMeeting(1);
    const [attendee] = m.attendees as [User];
    const cohost = await h.user();
    await addMember(h, m.id, host, cohost, "co-host");
    const polls = await Promise.all(Array.from({ length: 10 }, () => join(m.id, attendee)));
    expect(polls.map((r) => r.status)).toEqual(Array(10).fill(202));
    const admits = await Promise.all(
      Array.from({ length: 20 }, (_, i) => admit(m.id, attendee, i % 2 ? host : cohost)),
    );
    expect(admits.map((r) => r.status)).toEqual(Array(20).fill(200));
    const bodies = (await Promise.all(admits.map((r) => r.json()))) as {
      decidedAt: string;
      decidedBy: string;
    }[];
    // Exactly one admission happened: every answer reports the same decision.
    expect(new Set(bodies.map((b) => `${b.decidedAt} ${b.decidedBy}`)).size).toBe(1);
    const rows = await h.db.sql`select status from waiting_room_entries where meeting_id = ${m.id}`;
    expect(rows).toEqual([{ status: "admitted" }]);
    const seatsBefore = await h.service.context.seats.taken(m.id);
    const joins = await Promise.all(Array.from({ length: 5 }, () => join(m.id, attendee)));
    expect(joins.map((r) => r.status)).toEqual(Array(5).fill(200));
    expect(await h.service.context.seats.taken(m.id)).toBe(seatsBefore + 1);
  });

  it("an admitted member takes a seat at the token step: a full meeting refuses them and keeps the admission", async () => {
    const m = await liveWaitingMeeting(2, { capacity: 2 });
    const [a, b] = m.attendees as [User, User];
    for (const u of [a, b]) expect((await join(m.id, u)).status).toBe(202);
    expect((await waiting(m.id, host, "/admit-all")).status).toBe(200);
    expect((await join(m.id, a)).status).toBe(200);
    await problem(await join(m.id, b), 409, "meeting_full");
    // A seat frees up: the admission still holds, no second decision needed.
    await h.service.context.seats.release(m.id, a.id);
    expect((await join(m.id, b)).status).toBe(200);
  });

  it("bad input and closed queues are problems naming the field", async () => {
    const m = await liveWaitingMeeting(1);
    const [attendee] = m.attendees as [User];
    const bad = await problem(
      await h.request(`/v1/meetings/${m.id}/waiting/not-a-uuid/admit`, { method: "POST", user: host }),
      422,
      "validation_failed",
    );
    expect(bad.errors?.map((e) => e.field)).toEqual(["userId"]);
    const never = await problem(await deny(m.id, attendee, host), 404, "waiting_entry_not_found");
    expect(never.errors?.[0]?.field).toBe("userId");
    expect((await join(m.id, attendee)).status).toBe(202);
    expect((await h.request(`/v1/meetings/${m.id}/end`, { method: "POST", user: host })).status).toBe(200);
    await problem(await admit(m.id, attendee, host), 409, "meeting_over");
    await problem(await join(m.id, attendee), 409, "meeting_over");
  });

  it("counts waiting joins in the join metric", async () => {
    const text = await (await h.request("/metrics")).text();
    expect(metricValue(text, "gomeet_meeting_joins_total", { outcome: "waiting" })).toBeGreaterThan(0);
  });
});
