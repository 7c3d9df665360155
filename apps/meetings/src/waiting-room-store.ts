import type { Queryable } from "../../shared/src/index.ts";

export const WAITING_STATUSES = ["waiting", "admitted", "denied"] as const;
export type WaitingStatus = (typeof WAITING_STATUSES)[number];
export type WaitingDecision = Exclude<WaitingStatus, "waiting">;

export interface WaitingEntryRow {
  meetingId: string;
  userId: string;
  status: WaitingStatus;
  requestedAt: Date;
  lastSeenAt: Date;
  decidedAt: Date | null;
  decidedBy: string | null;
}

const COLUMNS = `meeting_id as "meetingId", user_id as "userId", status, requested_at as "requestedAt",
  last_seen_at as "lastSeenAt", decided_at as "decidedAt", decided_by as "decidedBy"`;

/**
 * A member knocks (or polls): the first call puts them in the queue, later calls only note that they are still
 * there. One statement, so concurrent polls of the same member never create two entries or lose a decision.
 */
export async function knock(sql: Queryable, meetingId: string, userId: string): Promise<WaitingEntryRow> {
  const [row] = await sql.unsafe<WaitingEntryRow[]>(
    `insert into waiting_room_entries as e (meeting_id, user_id) values ($1, $2)
     on conflict (meeting_id, user_id) do update set last_seen_at = now()
     returning ${COLUMNS}`,
    [meetingId, userId],
  );
  return row!;
}

/** 1 for the member who has waited longest; members removed from the meeting do not count. */
export async function queuePosition(sql: Queryable, entry: WaitingEntryRow): Promise<number> {
  const [row] = await sql<{ ahead: number }[]>`
    select count(*)::int as ahead from waiting_room_entries e
    join meeting_members m on m.meeting_id = e.meeting_id and m.user_id = e.user_id and m.removed_at is null
    where e.meeting_id = ${entry.meetingId} and e.status = 'waiting'
      and (e.requested_at, e.user_id) < (${entry.requestedAt}, ${entry.userId})`;
  return (row?.ahead ?? 0) + 1;
}

/** Who waits now, longest first (removed members are out of the meeting and out of the queue). */
export async function listWaiting(sql: Queryable, meetingId: string): Promise<WaitingEntryRow[]> {
  return await sql.unsafe<WaitingEntryRow[]>(
    `select ${COLUMNS} from waiting_room_entries e
     where meeting_id = $1 and status = 'waiting' and not exists (select 1 from meeting_members m
       where m.meeting_id = e.meeting_id and m.user_id = e.user_id and m.removed_at is not null)
     order by requested_at, user_id`,
    [meetingId],
  );
}

export async function findWaitingEntry(
  sql: Queryable,
  meetingId: string,
  userId: string,
): Promise<WaitingEntryRow | undefined> {
  const [row] = await sql.unsafe<WaitingEntryRow[]>(
    `select ${COLUMNS} from waiting_room_entries where meeting_id = $1 and user_id = $2`,
    [meetingId, userId],
  );
  return row;
}

export type DecisionOutcome =
  | { kind: "decided"; entry: WaitingEntryRow }
  | { kind: "unchanged"; entry: WaitingEntryRow }
  | { kind: "conflict"; entry: WaitingEntryRow }
  | { kind: "not_waiting" };

/**
 * Moves one entry out of `waiting`. The update only matches a waiting entry, so of two concurrent decisions
 * exactly one applies; the other reads the result: the same decision again is `unchanged` (idempotent), the
 * opposite one is a `conflict` (decisions are final).
 */
export async function decide(
  sql: Queryable,
  meetingId: string,
  userId: string,
  decision: WaitingDecision,
  moderatorId: string,
): Promise<DecisionOutcome> {
  const [updated] = await sql.unsafe<WaitingEntryRow[]>(
    `update waiting_room_entries set status = $3, decided_at = now(), decided_by = $4
     where meeting_id = $1 and user_id = $2 and status = 'waiting' returning ${COLUMNS}`,
    [meetingId, userId, decision, moderatorId],
  );
  if (updated) return { kind: "decided", entry: updated };
  const current = await findWaitingEntry(sql, meetingId, userId);
  if (!current) return { kind: "not_waiting" };
  return { kind: current.status === decision ? "unchanged" : "conflict", entry: current };
}

/** Admits everyone waiting now (removed members stay out); a second call admits nobody new. */
export async function admitAllWaiting(
  sql: Queryable,
  meetingId: string,
  moderatorId: string,
): Promise<WaitingEntryRow[]> {
  const admitted = await sql.unsafe<WaitingEntryRow[]>(
    `update waiting_room_entries e set status = 'admitted', decided_at = now(), decided_by = $2
     where meeting_id = $1 and status = 'waiting' and not exists (select 1 from meeting_members m
       where m.meeting_id = e.meeting_id and m.user_id = e.user_id and m.removed_at is not null)
     returning ${COLUMNS}`,
    [meetingId, moderatorId],
  );
  return [...admitted].sort((a, b) => a.requestedAt.getTime() - b.requestedAt.getTime());
}
