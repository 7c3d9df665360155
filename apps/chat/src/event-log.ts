import type { Sql, TransactionSql } from "postgres";

/** One entry of a meeting's durable log, as stored on its shard. */
export interface ChatEvent {
  meetingId: string;
  seq: number;
  kind: "message" | "delete" | "mute" | "unmute";
  senderId: string;
  senderName: string;
  clientMsgId: string;
  body: string | null;
  targetSeq: number | null;
  targetUser: string | null;
  deleted: boolean;
  /** ISO 8601 with microseconds, UTC (the export cursor compares it exactly). */
  at: string;
}

export interface Author {
  userId: string;
  name: string;
}

export type AppendOutcome =
  | { status: "stored"; event: ChatEvent; tombstone?: ChatEvent }
  | { status: "duplicate"; event: ChatEvent }
  | { status: "muted" }
  | { status: "not_found" };

/** The select list that reads a row of chat_events as a ChatEvent. */
export const EVENT_COLUMNS = `meeting_id::text as "meetingId", seq::int as seq, kind, sender_id::text as "senderId",
  sender_name as "senderName", client_msg_id as "clientMsgId", body, target_seq::int as "targetSeq",
  target_user::text as "targetUser", deleted_at is not null as deleted,
  to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as at`;

class Rollback extends Error {
  constructor(readonly outcome: AppendOutcome) {
    super("rollback");
  }
}

/**
 * Takes the meeting's next sequence number (and its row lock, held to commit, so commits follow sequence
 * order), then answers a retried client id from the log instead of storing it twice.
 */
async function nextSeq(
  tx: TransactionSql,
  meetingId: string,
  author: Author,
  clientMsgId: string,
): Promise<number> {
  const [row] = await tx<{ seq: number }[]>`
    insert into chat_meetings (meeting_id, last_seq) values (${meetingId}, 1)
    on conflict (meeting_id) do update set last_seq = chat_meetings.last_seq + 1
    returning last_seq::int as seq`;
  const [existing] = await tx.unsafe<ChatEvent[]>(
    `select ${EVENT_COLUMNS} from chat_events where meeting_id = $1 and sender_id = $2 and client_msg_id = $3`,
    [meetingId, author.userId, clientMsgId],
  );
  if (existing) throw new Rollback({ status: "duplicate", event: existing });
  return row!.seq;
}

async function insertEvent(
  tx: TransactionSql,
  fields: {
    meetingId: string;
    seq: number;
    kind: ChatEvent["kind"];
    author: Author;
    clientMsgId: string;
    body?: string;
    targetSeq?: number;
    targetUser?: string;
  },
): Promise<ChatEvent> {
  const [event] = await tx.unsafe<ChatEvent[]>(
    `insert into chat_events (meeting_id, seq, kind, sender_id, sender_name, client_msg_id, body, target_seq, target_user)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9) returning ${EVENT_COLUMNS}`,
    [
      fields.meetingId,
      fields.seq,
      fields.kind,
      fields.author.userId,
      fields.author.name,
      fields.clientMsgId,
      fields.body ?? null,
      fields.targetSeq ?? null,
      fields.targetUser ?? null,
    ],
  );
  return event!;
}

async function inTransaction(
  sql: Sql,
  work: (tx: TransactionSql) => Promise<{ event: ChatEvent; tombstone?: ChatEvent }>,
): Promise<AppendOutcome> {
  try {
    const stored = (await sql.begin((tx) => work(tx))) as { event: ChatEvent; tombstone?: ChatEvent };
    return { status: "stored", ...stored };
  } catch (error) {
    if (error instanceof Rollback) return error.outcome;
    throw error;
  }
}

/** Tombstones a message (its text is erased) and logs the deletion as its own event. */
export function deleteMessage(
  sql: Sql,
  meetingId: string,
  moderator: Author,
  clientMsgId: string,
  targetSeq: number,
): Promise<AppendOutcome> {
  return inTransaction(sql, async (tx) => {
    const seq = await nextSeq(tx, meetingId, moderator, clientMsgId);
    const [tombstone] = await tx.unsafe<ChatEvent[]>(
      `update chat_events set body = null, deleted_at = now()
       where meeting_id = $1 and seq = $2 and kind = 'message' and deleted_at is null returning ${EVENT_COLUMNS}`,
      [meetingId, targetSeq],
    );
    if (!tombstone) throw new Rollback({ status: "not_found" });
    const event = await insertEvent(tx, {
      meetingId,
      seq,
      kind: "delete",
      author: moderator,
      clientMsgId,
      targetSeq,
    });
    return { event, tombstone };
  });
}

/** Mutes or unmutes a participant in this meeting's chat; the change is logged so every client sees it. */
export function setMuted(
  sql: Sql,
  meetingId: string,
  moderator: Author,
  clientMsgId: string,
  userId: string,
  muted: boolean,
): Promise<AppendOutcome> {
  return inTransaction(sql, async (tx) => {
    const seq = await nextSeq(tx, meetingId, moderator, clientMsgId);
    if (muted) {
      await tx`insert into chat_mutes (meeting_id, user_id, muted_by) values (${meetingId}, ${userId}, ${moderator.userId})
        on conflict do nothing`;
    } else {
      await tx`delete from chat_mutes where meeting_id = ${meetingId} and user_id = ${userId}`;
    }
    const event = await insertEvent(tx, {
      meetingId,
      seq,
      kind: muted ? "mute" : "unmute",
      author: moderator,
      clientMsgId,
      targetUser: userId,
    });
    return { event };
  });
}

/** The last sequence number committed for a meeting (0 before its first event). */
export async function headSeq(sql: Sql, meetingId: string): Promise<number> {
  const [row] = await sql<{ seq: number }[]>`
    select last_seq::int as seq from chat_meetings where meeting_id = ${meetingId}`;
  return row?.seq ?? 0;
}

/** Events with `after < seq <= upTo`, in order, at most `limit`. */
export async function eventsBetween(
  sql: Sql,
  meetingId: string,
  after: number,
  upTo: number,
  limit: number,
): Promise<ChatEvent[]> {
  return await sql.unsafe<ChatEvent[]>(
    `select ${EVENT_COLUMNS} from chat_events where meeting_id = $1 and seq > $2 and seq <= $3 order by seq limit $4`,
    [meetingId, after, upTo, limit],
  );
}

/** One page of a meeting's messages (tombstones included), newest first, older than `before`. */
export async function messagesBefore(
  sql: Sql,
  meetingId: string,
  before: number | undefined,
  limit: number,
): Promise<ChatEvent[]> {
  return await sql.unsafe<ChatEvent[]>(
    `select ${EVENT_COLUMNS} from chat_events where meeting_id = $1 and kind = 'message' and seq < $2
     order by seq desc limit $3`,
    [meetingId, before ?? Number.MAX_SAFE_INTEGER, limit],
  );
}

export interface ExportCursor {
  at: string;
  meetingId: string;
  seq: number;
}

/**
 * A user's messages across every shard, newest first, ordered by (created_at, meeting id, seq) so the cursor
 * is exact even when two messages share a timestamp. Each shard returns at most `limit`; the merge keeps the
 * first `limit` overall.
 */
export async function userMessagesAcrossShards(
  shards: readonly Sql[],
  userId: string,
  after: ExportCursor | undefined,
  limit: number,
): Promise<ChatEvent[]> {
  const pages = await Promise.all(
    shards.map((sql) =>
      after
        ? sql.unsafe<ChatEvent[]>(
            `select ${EVENT_COLUMNS} from chat_events where sender_id = $1 and kind = 'message'
             and (created_at, meeting_id, seq) < ($2::timestamptz, $3::uuid, $4)
             order by created_at desc, meeting_id desc, seq desc limit $5`,
            [userId, after.at, after.meetingId, after.seq, limit],
          )
        : sql.unsafe<ChatEvent[]>(
            `select ${EVENT_COLUMNS} from chat_events where sender_id = $1 and kind = 'message'
             order by created_at desc, meeting_id desc, seq desc limit $2`,
            [userId, limit],
          ),
    ),
  );
  return pages
    .flat()
    .sort((a, b) => b.at.localeCompare(a.at) || b.meetingId.localeCompare(a.meetingId) || b.seq - a.seq)
    .slice(0, limit);
}
