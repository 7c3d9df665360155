import type { Sql, TransactionSql } from "postgres";
import { type Author, type ChatEvent, EVENT_COLUMNS } from "./event-log.ts";

/** One chat message waiting for its batch's commit. */
export interface PendingMessage {
  meetingId: string;
  author: Author;
  clientMsgId: string;
  text: string;
}

export type MessageOutcome =
  | { status: "stored"; event: ChatEvent }
  | { status: "duplicate"; event: ChatEvent }
  | { status: "muted" };

/** PostgreSQL's deadlock_detected and serialization_failure: the batch did nothing and may run again. */
const RETRYABLE = new Set(["40P01", "40001"]);
const ATTEMPTS = 3;

const idKey = (meetingId: string, senderId: string, clientMsgId: string) =>
  `${meetingId.toLowerCase()}|${senderId.toLowerCase()}|${clientMsgId}`;

/**
 * Stores a batch of messages, possibly from many meetings of one shard, in one transaction, and answers each in
 * the order given. Per meeting it takes the `chat_meetings` row lock first (in meeting-id order, so two batches
 * never wait on each other in a cycle), then reads retried client ids and mutes under that lock, hands out
 * consecutive seqs in arrival order and writes every row with one insert: the same rules as one message per
 * transaction (a visible seq N implies every seq < N is visible; a retried id is answered from the log),
 * at a handful of round trips per batch instead of per message.
 */
export async function appendMessageBatch(
  sql: Sql,
  batch: readonly PendingMessage[],
): Promise<MessageOutcome[]> {
  for (let attempt = 1; ; attempt++) {
    try {
      return (await sql.begin((tx) => writeBatch(tx, batch))) as MessageOutcome[];
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (attempt >= ATTEMPTS || typeof code !== "string" || !RETRYABLE.has(code)) throw error;
    }
  }
}

async function writeBatch(tx: TransactionSql, batch: readonly PendingMessage[]): Promise<MessageOutcome[]> {
  const meetings = [...new Set(batch.map((m) => m.meetingId.toLowerCase()))].sort();
  // The no-op update takes the row lock of an existing meeting and returns its head; a new meeting's row is
  // created at 0 (and locked, being uncommitted).
  const heads = await tx<{ meetingId: string; seq: number }[]>`
    insert into chat_meetings (meeting_id, last_seq)
    select m, 0 from unnest(${meetings}::uuid[]) as m order by m
    on conflict (meeting_id) do update set last_seq = chat_meetings.last_seq
    returning meeting_id::text as "meetingId", last_seq::int as seq`;
  const [existing, mutes] = await Promise.all([
    tx.unsafe<ChatEvent[]>(
      `select ${EVENT_COLUMNS} from chat_events e
       join unnest($1::uuid[], $2::uuid[], $3::text[]) as k(m, s, c)
         on e.meeting_id = k.m and e.sender_id = k.s and e.client_msg_id = k.c`,
      [
        batch.map((m) => m.meetingId),
        batch.map((m) => m.author.userId),
        batch.map((m) => m.clientMsgId),
      ] as never,
    ),
    tx<{ meetingId: string; userId: string }[]>`
      select meeting_id::text as "meetingId", user_id::text as "userId" from chat_mutes
      where (meeting_id, user_id) in (
        select * from unnest(${batch.map((m) => m.meetingId)}::uuid[], ${batch.map((m) => m.author.userId)}::uuid[]))`,
  ]);
  const next = new Map(heads.map((h) => [h.meetingId, h.seq]));
  const stored = new Map(existing.map((e) => [idKey(e.meetingId, e.senderId, e.clientMsgId), e]));
  const muted = new Set(mutes.map((m) => `${m.meetingId}|${m.userId}`));

  // Per message: answered from the log, the same id earlier in this batch, muted, or a new seq.
  const plan: Array<
    { kind: "known"; outcome: MessageOutcome } | { kind: "new"; meetingId: string; seq: number }
  > = [];
  const firstInBatch = new Map<string, { meetingId: string; seq: number }>();
  const rows: { meetingId: string; seq: number; message: PendingMessage }[] = [];
  for (const message of batch) {
    const meetingId = message.meetingId.toLowerCase();
    const key = idKey(meetingId, message.author.userId, message.clientMsgId);
    const known = stored.get(key);
    if (known) {
      plan.push({ kind: "known", outcome: { status: "duplicate", event: known } });
      continue;
    }
    const earlier = firstInBatch.get(key);
    if (earlier) {
      plan.push({ kind: "new", ...earlier });
      continue;
    }
    if (muted.has(`${meetingId}|${message.author.userId.toLowerCase()}`)) {
      plan.push({ kind: "known", outcome: { status: "muted" } });
      continue;
    }
    const seq = (next.get(meetingId) ?? 0) + 1;
    next.set(meetingId, seq);
    firstInBatch.set(key, { meetingId, seq });
    rows.push({ meetingId, seq, message });
    plan.push({ kind: "new", meetingId, seq });
  }
  if (rows.length === 0) return plan.map((p) => (p.kind === "known" ? p.outcome : unreachable()));

  const [inserted] = await Promise.all([
    tx.unsafe<ChatEvent[]>(
      `insert into chat_events (meeting_id, seq, kind, sender_id, sender_name, client_msg_id, body)
       select m, s, 'message', a, n, c, b
       from unnest($1::uuid[], $2::bigint[], $3::uuid[], $4::text[], $5::text[], $6::text[]) as r(m, s, a, n, c, b)
       returning ${EVENT_COLUMNS}`,
      [
        rows.map((r) => r.meetingId),
        rows.map((r) => r.seq),
        rows.map((r) => r.message.author.userId),
        rows.map((r) => r.message.author.name),
        rows.map((r) => r.message.clientMsgId),
        rows.map((r) => r.message.text),
      ] as never,
    ),
    tx`
      update chat_meetings c set last_seq = v.seq
      from unnest(${[...next.keys()]}::uuid[], ${[...next.values()]}::bigint[]) as v(m, seq)
      where c.meeting_id = v.m and c.last_seq <> v.seq`,
  ]);
  const events = new Map(inserted.map((e) => [`${e.meetingId}|${e.seq}`, e]));
  const firstSeqs = new Set(rows.map((r) => `${r.meetingId}|${r.seq}`));
  const answered = new Set<string>();
  return plan.map((p) => {
    if (p.kind === "known") return p.outcome;
    const key = `${p.meetingId}|${p.seq}`;
    const event = events.get(key);
    if (!event || !firstSeqs.has(key)) throw new Error(`chat batch: seq ${p.seq} was not written`);
    // The first occurrence of an id is the stored one; a repeat later in the same batch is its duplicate.
    if (answered.has(key)) return { status: "duplicate", event };
    answered.add(key);
    return { status: "stored", event };
  });
}

function unreachable(): never {
  throw new Error("chat batch: a message was planned as new but nothing was written");
}
