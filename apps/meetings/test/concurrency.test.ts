import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import {
  addMember,
  type MeetingsHarness,
  scheduleMeeting,
  startMeetingsHarness,
  type User,
} from "./harness.ts";

/**
 * The same request fired several times at once, against PostgreSQL, redis-server and a real livekit-server:
 * every answer is one a serial order of those requests could give, and none is a 5xx.
 */
const N = 6;
let h: MeetingsHarness;
let host: User;

beforeAll(async () => {
  h = await startMeetingsHarness(inject("postgresAdminUrl"), "meetings_concurrency", { liveKitNodes: 1 });
  host = await h.user();
});
afterAll(async () => h.stop());

interface Answer {
  status: number;
  body: { code?: string; [key: string]: unknown };
}

async function atOnce(path: string, user: User, json?: unknown, times = N): Promise<Answer[]> {
  return await Promise.all(
    Array.from({ length: times }, async () => {
      const res = await h.request(path, { method: "POST", user, ...(json !== undefined ? { json } : {}) });
      return { status: res.status, body: (await res.json()) as Answer["body"] };
    }),
  );
}

const statuses = (answers: Answer[]) => answers.map((a) => a.status);

async function liveMeeting(capacity = 20): Promise<{ id: string }> {
  const m = await scheduleMeeting(h, host, { capacity });
  const res = await h.request(`/v1/meetings/${m.id}/join`, { method: "POST", user: host });
  if (res.status !== 200) throw new Error(`host join answered ${res.status}: ${await res.text()}`);
  return m;
}

describe("concurrent requests to one meeting", () => {
  it("the host's first joins of a scheduled meeting all get a token; the meeting starts once", async () => {
    const m = await scheduleMeeting(h, host);
    const answers = await atOnce(`/v1/meetings/${m.id}/join`, host);
    expect(statuses(answers), JSON.stringify(answers.filter((a) => a.status !== 200))).toEqual(
      Array(N).fill(200),
    );
    const [row] = await h.db.sql<{ state: string; startedAt: Date | null }[]>`
      select state, started_at as "startedAt" from meetings where id = ${m.id}`;
    expect(row?.state).toBe("live");
    expect(row?.startedAt).not.toBeNull();
    expect(new Set(answers.map((a) => a.body.room))).toEqual(new Set([`meeting-${m.id}`]));
    expect(await h.service.context.seats.taken(m.id)).toBe(1);
  });

  it("creating breakout rooms N times at once replaces them serially: every answer 201, rooms 1..3 once", async () => {
    const m = await liveMeeting();
    const people = await Promise.all(Array.from({ length: 4 }, () => h.user()));
    for (const p of people) await addMember(h, m.id, host, p);
    const answers = await atOnce(`/v1/meetings/${m.id}/breakouts`, host, { count: 3 });
    expect(statuses(answers), JSON.stringify(answers.filter((a) => a.status !== 201))).toEqual(
      Array(N).fill(201),
    );
    for (const a of answers)
      expect((a.body.rooms as { number: number }[]).map((r) => r.number)).toEqual([1, 2, 3]);
    const rows = await h.db.sql<{ number: number }[]>`
      select number from breakout_rooms where meeting_id = ${m.id} order by number`;
    expect(rows.map((r) => r.number)).toEqual([1, 2, 3]);

    // Balanced assignment at once: every member lands in exactly one room and sizes differ by at most one.
    const assigned = await Promise.all(
      Array.from({ length: N }, () =>
        h.request(`/v1/meetings/${m.id}/breakouts/assignments`, {
          method: "PUT",
          user: host,
          json: { mode: "balanced" },
        }),
      ),
    );
    expect(assigned.map((r) => r.status)).toEqual(Array(N).fill(200));
    const sizes = await h.db.sql<{ number: number; members: number }[]>`
      select r.number, count(a.user_id)::int as members from breakout_rooms r
      left join breakout_assignments a on a.meeting_id = r.meeting_id and a.number = r.number
      where r.meeting_id = ${m.id} group by r.number order by r.number`;
    expect(sizes.map((s) => s.members).sort()).toEqual([1, 1, 2]);
  });

  it("opening N times at once: one opens, the others are told they are open; closing N times at once: all 200, rooms gone", async () => {
    const m = await liveMeeting();
    const people = await Promise.all(Array.from({ length: 4 }, () => h.user()));
    for (const p of people) await addMember(h, m.id, host, p);
    for (let round = 0; round < 3; round++) {
      expect((await atOnce(`/v1/meetings/${m.id}/breakouts`, host, { count: 3 }, 1))[0]?.status).toBe(201);
      const assign = await h.request(`/v1/meetings/${m.id}/breakouts/assignments`, {
        method: "PUT",
        user: host,
        json: { mode: "balanced" },
      });
      expect(assign.status).toBe(200);
      const opened = await atOnce(`/v1/meetings/${m.id}/breakouts/open`, host);
      expect(statuses(opened).sort(), JSON.stringify(opened)).toEqual([200, ...Array(N - 1).fill(409)]);
      for (const a of opened.filter((o) => o.status === 409)) expect(a.body.code).toBe("breakouts_open");
      const names = [1, 2, 3].map((n) => `meeting-${m.id}-b${n}`);
      expect((await h.service.context.rooms.listRooms(names)).length).toBe(3);

      const closed = await atOnce(`/v1/meetings/${m.id}/breakouts/close`, host);
      expect(statuses(closed), JSON.stringify(closed.filter((a) => a.status !== 200))).toEqual(
        Array(N).fill(200),
      );
      for (const a of closed) expect(a.body.open).toBe(false);
      expect(await h.service.context.rooms.listRooms(names)).toEqual([]);
    }
  });

  it("one user accepting a two-use link N times at once uses it once; uses never exceed the limit", async () => {
    const m = await scheduleMeeting(h, host);
    const created = await h.request(`/v1/meetings/${m.id}/invitations`, {
      method: "POST",
      user: host,
      json: { kind: "link", role: "attendee", maxUses: 2, expiresInSeconds: 600 },
    });
    const { code, id } = (await created.json()) as { code: string; id: string };
    const guest = await h.user();
    const same = await atOnce("/v1/invitations/accept", guest, { code });
    expect(statuses(same)).toEqual(Array(N).fill(200));
    const uses = async () =>
      (await h.db.sql<{ uses: number }[]>`select uses from invitations where id = ${id}`)[0]?.uses;
    expect(await uses()).toBe(1);

    // N different users at once for the one use left: exactly one wins, the rest are told it is used up.
    const others = await Promise.all(Array.from({ length: N }, () => h.user()));
    const race = await Promise.all(
      others.map(async (user) => {
        const res = await h.request("/v1/invitations/accept", { method: "POST", user, json: { code } });
        return { status: res.status, body: (await res.json()) as Answer["body"] };
      }),
    );
    expect(statuses(race).sort()).toEqual([200, ...Array(N - 1).fill(410)]);
    for (const a of race.filter((r) => r.status === 410)) expect(a.body.code).toBe("invitation_used_up");
    expect(await uses()).toBe(2);
    const [joined] = await h.db.sql<{ count: number }[]>`
      select count(*)::int as count from meeting_members where joined_via = ${id}`;
    expect(joined?.count).toBe(2);
  });

  it("an email invitation is accepted only by the account with that address, compared case-insensitively", async () => {
    const m = await scheduleMeeting(h, host);
    const created = await h.request(`/v1/meetings/${m.id}/invitations`, {
      method: "POST",
      user: host,
      json: { kind: "email", email: "Mixed.Case@Example.COM", role: "presenter" },
    });
    const { code } = (await created.json()) as { code: string };
    const wrong = await atOnce("/v1/invitations/accept", await h.user("mixed.case@example.org"), { code });
    expect(statuses(wrong)).toEqual(Array(N).fill(403));
    expect(wrong[0]?.body.code).toBe("invitation_email_mismatch");
    expect(JSON.stringify(wrong[0]?.body)).not.toContain("mixed.case@example.com");
    const right = await atOnce("/v1/invitations/accept", await h.user("mixed.case@example.com"), { code });
    expect(statuses(right)).toEqual(Array(N).fill(200));
    expect(right[0]?.body.myRole).toBe("presenter");
  });
});
