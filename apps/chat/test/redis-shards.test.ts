import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type RedisServer, startRedis } from "../../../test/support/redis.ts";
import { shardIndex } from "../../shared/src/redis-shards.ts";
import { ChatClient, type ChatStack, newId, type Replica, startChatStack } from "./harness.ts";

/**
 * Chat on two Valkey shards (REDIS_SHARD_URLS, two real redis-servers): each meeting's window, presence, rate
 * limits and fan-out channel live on the shard its id hashes to, never on the other, and chat works end to end
 * for meetings on either shard across two replicas.
 */
let stack: ChatStack;
let servers: RedisServer[];
let probes: Redis[];
let replicas: Replica[];

beforeAll(async () => {
  stack = await startChatStack(inject("postgresAdminUrl"), "chat_redis_shards");
  servers = [await startRedis(), await startRedis()];
  probes = servers.map((s) => new Redis(s.url).on("error", () => undefined));
  // A slow rate (one per second) keeps the buckets alive long enough to be looked at.
  const env = { REDIS_SHARD_URLS: servers.map((s) => s.url).join(","), CHAT_RATE_MESSAGES: "100/100s" };
  replicas = [await stack.startReplica(env), await stack.startReplica(env)];
});
afterAll(async () => {
  await stack?.stop();
  for (const probe of probes ?? []) probe.disconnect();
  for (const server of servers ?? []) await server.stop();
});

function meetingOnShard(shard: number): string {
  for (;;) {
    const id = newId();
    if (shardIndex(id, 2) === shard) return id;
  }
}

/** Two participants on different replicas exchange messages; both see every message, in order. */
async function converse(meetingId: string): Promise<ChatClient[]> {
  const users = [await stack.user(), await stack.user()];
  for (const u of users) stack.members.set(meetingId, u.id, "attendee");
  const clients = [
    await ChatClient.join(stack, replicas[0]!, users[0]!, meetingId),
    await ChatClient.join(stack, replicas[1]!, users[1]!, meetingId),
  ];
  for (let i = 0; i < 5; i++) for (const c of clients) c.sendMessage(`hello ${i}`);
  for (const c of clients) {
    await c.waitForCount((f) => f.type === "ack", 5);
    const events = await c.waitForCount((f) => f.type === "event", 10);
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
  }
  return clients;
}

describe("chat on two Valkey shards", () => {
  it("routes each meeting's keys and channel to its own shard, and both shards carry working meetings", async () => {
    const meetings = [meetingOnShard(0), meetingOnShard(1)];
    const clients = await Promise.all(meetings.map((m) => converse(m)));
    for (const [shard, meetingId] of meetings.entries()) {
      const other = 1 - shard;
      const home = await probes[shard]!.keys(`*${meetingId}*`);
      // The replay window, presence and the participants' rate-limit buckets are on the meeting's shard…
      expect(home).toEqual(
        expect.arrayContaining([
          `gomeet:chat:{${meetingId}}:window`,
          `gomeet:chat:{${meetingId}}:presence`,
          expect.stringMatching(new RegExp(`^gomeet:chat:rl:chat_messages:${meetingId}:`)),
        ]),
      );
      expect(await probes[shard]!.zcard(`gomeet:chat:{${meetingId}}:window`)).toBe(10);
      // …and nothing of it is on the other shard.
      expect(await probes[other]!.keys(`*${meetingId}*`)).toEqual([]);
      // Both replicas subscribe to the meeting's channel on its shard only.
      const channel = `gomeet:chat:{${meetingId}}:bus`;
      const [, here] = (await probes[shard]!.pubsub("NUMSUB", channel)) as [string, number];
      const [, there] = (await probes[other]!.pubsub("NUMSUB", channel)) as [string, number];
      expect([here, there]).toEqual([2, 0]);
    }
    for (const c of clients.flat()) c.close();
  });

  it("a meeting keeps working while the other meeting's shard is down", async () => {
    const [up, down] = [meetingOnShard(0), meetingOnShard(1)];
    const before = await converse(down);
    for (const c of before) c.close();
    await servers[1]!.stop();
    const clients = await converse(up);
    for (const c of clients) c.close();
  });
});
