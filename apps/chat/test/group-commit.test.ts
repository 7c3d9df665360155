import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createTestDatabase } from "../../../test/support/postgres.ts";
import { type RedisServer, useTestRedis } from "../../../test/support/redis.ts";
import { createLogger, RedisShards } from "../../shared/src/index.ts";
import { BatchCommitError, GroupCommitter } from "../src/group-commit.ts";
import { MeetingBus, parseBusMessage } from "../src/meeting-bus.ts";
import type { MessageOutcome, PendingMessage } from "../src/message-batch.ts";
import { MessageWriter } from "../src/message-writer.ts";
import { migrateShards } from "../src/migrate.ts";
import { openShards } from "../src/shards.ts";

/**
 * Group commit on real PostgreSQL and redis-server: many senders at once are stored once each, in order, and
 * answered only after their batch committed; a batch whose COMMIT fails fails every message in it.
 * A deferred constraint trigger (run at COMMIT, not at insert) makes chosen commits slow or fail.
 */
const FAULTS = `
create function chat_test_commit_fault() returns trigger language plpgsql as $$
begin
  if new.body = 'refused at commit' then raise exception 'commit refused by the test trigger'; end if;
  if new.body like 'slow commit%' then perform pg_sleep(0.3); end if;
  return null;
end $$;
create constraint trigger chat_test_commit_fault after insert on chat_events
  deferrable initially deferred for each row execute function chat_test_commit_fault();`;

let databases: Array<{ url: string; drop(): Promise<void> }>;
let shards: ReturnType<typeof openShards>;
let redisServer: RedisServer;
let commands: RedisShards;
let subscriber: Redis;
let observer: postgres.Sql;
const logger = createLogger({ service: "chat-test", level: "error" });
const published: Array<{ channel: string; seq: number }> = [];

beforeAll(async () => {
  const admin = inject("postgresAdminUrl");
  databases = [
    await createTestDatabase(admin, "chat_group_commit_s0"),
    await createTestDatabase(admin, "chat_group_commit_s1"),
  ];
  const urls = databases.map((d) => d.url);
  expect(await migrateShards({ CHAT_SHARD_URLS: urls.join(","), LOG_LEVEL: "error" })).toBe(0);
  for (const url of urls) {
    const sql = postgres(url, { max: 1, onnotice: () => undefined });
    await sql.unsafe(FAULTS);
    await sql.end();
  }
  shards = openShards({ urls, max: 6, applicationName: "chat-group-commit-test" });
  redisServer = await useTestRedis();
  commands = new RedisShards([new Redis(redisServer.url)]);
  subscriber = new Redis(redisServer.url);
  await subscriber.psubscribe("gomeet:chat:*:bus");
  subscriber.on("pmessage", (_pattern: string, channel: string, payload: string) => {
    const message = parseBusMessage(payload);
    if (message?.seq !== undefined) published.push({ channel, seq: message.seq });
  });
  observer = postgres(urls[0]!, { max: 2, onnotice: () => undefined });
});

afterAll(async () => {
  await observer?.end();
  subscriber?.disconnect();
  await commands?.close();
  await redisServer?.stop();
  await shards?.close();
  for (const db of databases ?? []) await db.drop();
});

function writer(options: { windowMs: number; maxBatch: number; maxInFlight: number }) {
  const sizes: number[] = [];
  const failed: number[] = [];
  const bus = new MeetingBus(commands, 100);
  const w = new MessageWriter(shards, bus, logger, {
    ...options,
    onBatch: (size, _seconds, ok) => (ok ? sizes : failed).push(size),
  });
  return { w, sizes, failed, bus };
}

/** Is this seq of this meeting visible to another connection (i.e. committed)? */
async function committed(meetingId: string, seq: number): Promise<boolean> {
  const db = shards.forMeeting(meetingId);
  const rows = await db`select 1 from chat_events where meeting_id = ${meetingId} and seq = ${seq}`;
  return rows.length === 1;
}

async function log(meetingId: string) {
  const db = shards.forMeeting(meetingId);
  return await db<{ seq: number; senderId: string; clientMsgId: string; body: string }[]>`
    select seq::int as seq, sender_id::text as "senderId", client_msg_id as "clientMsgId", body
    from chat_events where meeting_id = ${meetingId} order by seq`;
}

const author = () => ({ userId: randomUUID(), name: "Sender" });

describe("group commit", () => {
  it("many senders at once: every message stored once, gapless and in each sender's order, answered after commit", async () => {
    const { w, sizes } = writer({ windowMs: 2, maxBatch: 64, maxInFlight: 2 });
    const meetings = Array.from({ length: 6 }, () => randomUUID());
    const senders = meetings.flatMap((meetingId) =>
      Array.from({ length: 8 }, () => ({ meetingId, ...author() })),
    );
    const prematureAnswers: string[] = [];
    const answers = new Map<string, MessageOutcome>();
    // Each sender sends 6 messages one after another (as a socket does); all 48 senders at once. Every sixth
    // message makes its batch's commit slow, so an answer given before the commit would be caught.
    await Promise.all(
      senders.map(async (sender, s) => {
        for (let i = 0; i < 6; i++) {
          const clientMsgId = `m-${s}-${i}`;
          const text = (s + i) % 6 === 0 ? `slow commit ${s}/${i}` : `text ${s}/${i}`;
          const outcome = await w.store({
            meetingId: sender.meetingId,
            author: { userId: sender.userId, name: sender.name },
            clientMsgId,
            text,
          });
          if (outcome.status !== "stored") throw new Error(`${clientMsgId}: ${outcome.status}`);
          if (!(await committed(sender.meetingId, outcome.event.seq))) prematureAnswers.push(clientMsgId);
          answers.set(`${sender.userId}/${clientMsgId}`, outcome);
        }
      }),
    );
    expect(prematureAnswers).toEqual([]);
    expect(answers.size).toBe(senders.length * 6);
    // Batching happened: fewer transactions than messages, some with many messages.
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(senders.length * 6);
    expect(sizes.length).toBeLessThan(senders.length * 6);
    expect(Math.max(...sizes)).toBeGreaterThan(1);

    for (const meetingId of meetings) {
      const rows = await log(meetingId);
      expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: 8 * 6 }, (_, i) => i + 1));
      for (const row of rows) {
        expect(answers.get(`${row.senderId}/${row.clientMsgId}`)).toMatchObject({
          status: "stored",
          event: { seq: row.seq },
        });
      }
      // A sender's messages keep its sending order.
      const bySender = new Map<string, number[]>();
      for (const row of rows) bySender.set(row.senderId, [...(bySender.get(row.senderId) ?? []), row.seq]);
      for (const [senderId, seqs] of bySender) {
        const ids = rows
          .filter((r) => r.senderId === senderId)
          .map((r) => Number(r.clientMsgId.split("-")[2]));
        expect(ids).toEqual([0, 1, 2, 3, 4, 5]);
        expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
      }
      // Published once per seq (one pipeline per batch): every stored seq, no repeats.
      await expect
        .poll(() => published.filter((p) => p.channel.includes(meetingId)).length, { timeout: 5000 })
        .toBe(48);
      const seqs = published.filter((p) => p.channel.includes(meetingId)).map((p) => p.seq);
      expect(new Set(seqs).size).toBe(48);
    }
  });

  it("a retried id racing itself in one batch and across batches is stored once; muted senders consume no seq", async () => {
    const { w } = writer({ windowMs: 20, maxBatch: 100, maxInFlight: 2 });
    const meetingId = randomUUID();
    const sender = author();
    const muted = author();
    await shards.forMeeting(
      meetingId,
    )`insert into chat_mutes (meeting_id, user_id, muted_by) values (${meetingId}, ${muted.userId}, ${sender.userId})`;
    const message = (who: typeof sender, clientMsgId: string): PendingMessage => ({
      meetingId,
      author: who,
      clientMsgId,
      text: `from ${who.userId}`,
    });
    const outcomes = await Promise.all([
      w.store(message(sender, "same")),
      w.store(message(muted, "quiet")),
      w.store(message(sender, "same")),
      w.store(message(sender, "other")),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(["stored", "muted", "duplicate", "stored"]);
    expect(outcomes[0]).toMatchObject({ event: { seq: 1 } });
    expect(outcomes[2]).toMatchObject({ event: { seq: 1, clientMsgId: "same" } });
    expect(outcomes[3]).toMatchObject({ event: { seq: 2 } });
    const again = await w.store(message(sender, "other"));
    expect(again).toMatchObject({ status: "duplicate", event: { seq: 2 } });
    expect((await log(meetingId)).map((r) => [r.seq, r.clientMsgId])).toEqual([
      [1, "same"],
      [2, "other"],
    ]);
  });

  it("a batch whose commit fails fails every message in it with a clear error: none stored, none answered as stored", async () => {
    const { w, failed } = writer({ windowMs: 100, maxBatch: 100, maxInFlight: 1 });
    // Meetings on one shard, so the refused message shares the batch with all of them.
    const meetings: string[] = [];
    while (meetings.length < 4) {
      const id = randomUUID();
      if (shards.indexOf(id) === 0) meetings.push(id);
    }
    const texts = ["a", "b", "refused at commit", "c", "d", "e"];
    const results = await Promise.allSettled(
      texts.map((text, i) =>
        w.store({ meetingId: meetings[i % meetings.length]!, author: author(), clientMsgId: `f${i}`, text }),
      ),
    );
    expect(failed).toEqual([texts.length]);
    for (const result of results) {
      expect(result.status).toBe("rejected");
      const error = (result as PromiseRejectedResult).reason;
      expect(error).toBeInstanceOf(BatchCommitError);
      expect(error.message).toBe(
        "a batch of 6 messages was not committed (commit refused by the test trigger): none of them is stored",
      );
    }
    for (const meetingId of meetings) {
      expect(await log(meetingId)).toEqual([]);
      const [head] =
        await observer`select last_seq::int as seq from chat_meetings where meeting_id = ${meetingId}`;
      expect(head?.seq ?? 0).toBe(0);
      expect(published.some((p) => p.channel.includes(meetingId))).toBe(false);
    }
    // The next batch of the same meetings starts at seq 1: the failed one left no hole.
    const next = await w.store({
      meetingId: meetings[0]!,
      author: author(),
      clientMsgId: "after",
      text: "ok",
    });
    expect(next).toMatchObject({ status: "stored", event: { seq: 1 } });
  });

  it("rejects a configuration that cannot batch, naming the setting and the value", () => {
    const commit = async (items: readonly number[]) => items;
    expect(() => new GroupCommitter(commit, { maxBatch: 0, windowMs: 1, maxInFlight: 1 })).toThrow(
      "group commit: maxBatch must be an integer ≥ 1, got 0",
    );
    expect(() => new GroupCommitter(commit, { maxBatch: 4, windowMs: -1, maxInFlight: 1 })).toThrow(
      "group commit: windowMs must be an integer ≥ 0, got -1",
    );
  });
});
