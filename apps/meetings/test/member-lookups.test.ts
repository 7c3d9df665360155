import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { Queryable } from "../../shared/src/index.ts";
import { MemberLookups } from "../src/member-lookups.ts";
import {
  addMember,
  type MeetingsHarness,
  scheduleMeeting,
  startMeetingsHarness,
  type User,
} from "./harness.ts";

/**
 * Batched meeting-and-membership lookups against real PostgreSQL: every answer in a batch is the one a lookup of
 * its own gives (member, removed member, non-member, no such meeting, malformed id), concurrent lookups share
 * statements, and a failing statement fails only the lookups it carried.
 */
let h: MeetingsHarness;
let host: User;

beforeAll(async () => {
  h = await startMeetingsHarness(inject("postgresAdminUrl"), "meetings_member_lookups");
  host = await h.user();
});
afterAll(async () => {
  await h.stop();
});

/** `sql` with its `unsafe` statements counted, and made to fail while `failing` is set. */
function counted(sql: Queryable) {
  const state = { statements: 0, failing: false };
  const wrapped = {
    unsafe: (...args: Parameters<Queryable["unsafe"]>) => {
      state.statements += 1;
      if (state.failing) return Promise.reject(new Error("connection reset by the test"));
      return sql.unsafe(...args);
    },
  } as unknown as Queryable;
  return { sql: wrapped, state };
}

describe("MemberLookups", () => {
  it("answers a batch as single lookups would, in one statement", async () => {
    const m = await scheduleMeeting(h, host, { title: "Batch" });
    const other = await scheduleMeeting(h, host, { title: "Other" });
    const [member, removed, outsider] = await Promise.all([h.user(), h.user(), h.user()]);
    await addMember(h, m.id, host, member!, "presenter");
    await addMember(h, m.id, host, removed!);
    await h.db.sql`update meeting_members set removed_at = now()
      where meeting_id = ${m.id} and user_id = ${removed!.id}`;
    const { sql, state } = counted(h.db.sql);
    const lookups = new MemberLookups(sql);

    const asked = [
      [m.id, host.id],
      [m.id, member!.id],
      [m.id, removed!.id],
      [m.id, outsider!.id],
      [other.id, member!.id],
      [randomUUID(), host.id],
      ["not-a-uuid", host.id],
      [m.id, member!.id],
    ] as const;
    const found = await Promise.all(asked.map(([meetingId, userId]) => lookups.find(meetingId, userId)));
    expect(state.statements).toBe(1);

    expect(found[0]).toMatchObject({ meeting: { id: m.id, title: "Batch" }, member: { role: "host" } });
    expect(found[1]).toMatchObject({
      meeting: { id: m.id, state: "scheduled", capacity: 10 },
      member: { meetingId: m.id, userId: member!.id, role: "presenter", removedAt: null },
    });
    expect(found[1]!.meeting!.startsAt).toBeInstanceOf(Date);
    expect(found[2]!.member!.removedAt).toBeInstanceOf(Date);
    expect(found[3]).toEqual({ meeting: expect.objectContaining({ id: m.id }), member: undefined });
    expect(found[4]).toEqual({ meeting: expect.objectContaining({ id: other.id }), member: undefined });
    expect(found[5]).toEqual({ meeting: undefined, member: undefined });
    expect(found[6]).toEqual({ meeting: undefined, member: undefined });
    expect(found[7]).toEqual(found[1]);
  });

  it("splits a backlog into statements of at most maxBatch, and each lookup gets its own row", async () => {
    const meetings = await Promise.all(
      Array.from({ length: 5 }, (_, i) => scheduleMeeting(h, host, { title: `M${i}` })),
    );
    const { sql, state } = counted(h.db.sql);
    const lookups = new MemberLookups(sql, 2);
    const found = await Promise.all(meetings.map((m) => lookups.find(m.id, host.id)));
    expect(state.statements).toBe(3);
    expect(found.map((f) => f.meeting?.title)).toEqual(["M0", "M1", "M2", "M3", "M4"]);
    expect(() => new MemberLookups(sql, 0)).toThrow(/maxBatch must be an integer ≥ 1, got 0/);
  });

  it("a failed statement rejects only its own lookups; the next batch works", async () => {
    const m = await scheduleMeeting(h, host);
    const { sql, state } = counted(h.db.sql);
    const lookups = new MemberLookups(sql);
    state.failing = true;
    const failed = await Promise.allSettled([lookups.find(m.id, host.id), lookups.find(m.id, host.id)]);
    expect(failed.map((r) => r.status)).toEqual(["rejected", "rejected"]);
    state.failing = false;
    expect((await lookups.find(m.id, host.id)).member).toMatchObject({ role: "host" });
    expect(state.statements).toBe(2);
  });
});
