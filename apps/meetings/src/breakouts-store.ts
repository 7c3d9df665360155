import { ApiError, type Queryable } from "../../shared/src/index.ts";
import { breakoutRoomName } from "./meetings-store.ts";

export interface BreakoutRoom {
  number: number;
  name: string;
  roomName: string;
  members: string[];
}

/**
 * Replaces the meeting's breakout rooms (and so their assignments) with `count` new ones. The caller holds the
 * meeting row's lock in the same transaction (see breakout-routes.ts): two replacements running side by side
 * would each delete the old rooms and then insert the same room numbers.
 */
export async function createBreakoutRooms(sql: Queryable, meetingId: string, count: number): Promise<void> {
  await sql`delete from breakout_rooms where meeting_id = ${meetingId}`;
  await sql`insert into breakout_rooms (meeting_id, number, name)
    select ${meetingId}, n, 'Room ' || n from generate_series(1, ${count}::int) as n`;
}

export async function listBreakoutRooms(sql: Queryable, meetingId: string): Promise<BreakoutRoom[]> {
  const rooms = await sql<{ number: number; name: string }[]>`
    select number, name from breakout_rooms where meeting_id = ${meetingId} order by number`;
  const assignments = await sql<{ number: number; userId: string }[]>`
    select number, user_id as "userId" from breakout_assignments where meeting_id = ${meetingId}
    order by number, user_id`;
  return rooms.map((r) => ({
    number: r.number,
    name: r.name,
    roomName: breakoutRoomName(meetingId, r.number),
    members: assignments.filter((a) => a.number === r.number).map((a) => a.userId),
  }));
}

export async function assignManually(
  sql: Queryable,
  meetingId: string,
  assignments: { userId: string; room: number }[],
): Promise<void> {
  const rooms = new Set((await listBreakoutRooms(sql, meetingId)).map((r) => r.number));
  for (const [i, a] of assignments.entries()) {
    if (!rooms.has(a.room))
      throw new ApiError(
        422,
        "validation_failed",
        `invalid body: assignments.${i}.room: no breakout room ${a.room}`,
        {
          errors: [{ field: `assignments.${i}.room`, message: "no breakout room with this number" }],
        },
      );
    const [member] = await sql`select 1 from meeting_members
      where meeting_id = ${meetingId} and user_id = ${a.userId} and removed_at is null`;
    if (!member)
      throw new ApiError(
        422,
        "validation_failed",
        `invalid body: assignments.${i}.userId: not a member of this meeting`,
        {
          errors: [{ field: `assignments.${i}.userId`, message: "not a member of this meeting" }],
        },
      );
    await sql`insert into breakout_assignments (meeting_id, user_id, number) values (${meetingId}, ${a.userId}, ${a.room})
      on conflict (meeting_id, user_id) do update set number = excluded.number`;
  }
}

/**
 * Spreads `userIds` over the rooms so room sizes differ by at most one, topping up the smallest rooms first
 * (members already assigned stay where they are).
 */
export function balancedPlan(
  roomSizes: Map<number, number>,
  userIds: readonly string[],
): { userId: string; room: number }[] {
  const sizes = new Map(roomSizes);
  const plan: { userId: string; room: number }[] = [];
  for (const userId of userIds) {
    let best: number | undefined;
    for (const [room, size] of sizes) {
      if (best === undefined || size < (sizes.get(best) ?? 0)) best = room;
    }
    if (best === undefined) break;
    plan.push({ userId, room: best });
    sizes.set(best, (sizes.get(best) ?? 0) + 1);
  }
  return plan;
}

/** Balanced assignment of every unassigned, non-moderator member (hosts move between rooms themselves). */
export async function assignBalanced(sql: Queryable, meetingId: string): Promise<void> {
  const rooms = await listBreakoutRooms(sql, meetingId);
  const unassigned = await sql<{ userId: string }[]>`
    select m.user_id as "userId" from meeting_members m
    where m.meeting_id = ${meetingId} and m.removed_at is null and m.role not in ('host', 'co-host')
      and not exists (select 1 from breakout_assignments a where a.meeting_id = m.meeting_id and a.user_id = m.user_id)
    order by m.created_at, m.user_id`;
  const plan = balancedPlan(
    new Map(rooms.map((r) => [r.number, r.members.length])),
    unassigned.map((u) => u.userId),
  );
  await assignManually(sql, meetingId, plan);
}

/**
 * The member's breakout room while the rooms are open, else undefined. The meeting row is read FOR SHARE: a join
 * that overlaps a close waits for it and PostgreSQL then re-checks `breakouts_open` on the row the close committed,
 * so a client sent back to the main room is never handed the breakout room being deleted (nor recreates it).
 */
export async function breakoutOf(
  sql: Queryable,
  meetingId: string,
  userId: string,
): Promise<number | undefined> {
  const [row] = await sql<{ number: number }[]>`
    select a.number from meetings m
    join breakout_assignments a on a.meeting_id = m.id and a.user_id = ${userId}
    where m.id = ${meetingId} and m.breakouts_open
    for share of m`;
  return row?.number;
}
