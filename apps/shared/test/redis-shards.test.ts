import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../../../test/support/processes.ts";
import { type RedisServer, startRedis } from "../../../test/support/redis.ts";
import { createRedis, redisReady } from "../src/redis.ts";
import { fnv1a32, parseRedisShardUrls, RedisShards, shardIndex } from "../src/redis-shards.ts";

/**
 * The meeting-id partitioning against three real redis-servers: meetings spread over all three, every key of a
 * meeting sits on one shard, and losing one server affects only its meetings until it is back.
 */
const shards: RedisServer[] = [];
let router: RedisShards;

/** Every key a meeting uses, written through the router the way the services address them. */
async function writeMeeting(meetingId: string): Promise<void> {
  const client = router.forMeeting(meetingId);
  await client
    .multi()
    .hset(`meeting:${meetingId}:seats`, "user-1", "1")
    .set(`meeting:${meetingId}:lock`, "holder", "PX", 60_000)
    .xadd(`meeting:${meetingId}:chat`, "*", "body", "hello")
    .publish(`meeting:${meetingId}:events`, "joined")
    .exec();
}

beforeAll(async () => {
  for (let i = 0; i < 3; i++) shards.push(await startRedis());
  router = RedisShards.connect(
    shards.map((s) => s.url),
    (url, shard) => createRedis({ url, connectionName: `gomeet-test-shard-${shard}` }),
  );
  await Promise.all(router.clients.map((c) => redisReady(c)));
}, 60_000);

afterAll(async () => {
  await router?.close();
  for (const s of shards) await s.stop();
});

const meetings = Array.from({ length: 300 }, (_, i) => `m-${(i * 7919).toString(36)}-${i}`);

describe("partitioning by meeting id", () => {
  it("is the same function in every process: fixed values of the hash", () => {
    // FNV-1a 32-bit reference values (offset basis 0x811c9dc5 for the empty input; "a" → 0xe40c292c).
    expect(fnv1a32("")).toBe(0x811c9dc5);
    expect(fnv1a32("a")).toBe(0xe40c292c);
    expect(fnv1a32("foobar")).toBe(0xbf9cf968);
    expect(shardIndex("foobar", 3)).toBe(0xbf9cf968 % 3);
    expect(() => shardIndex("m", 0)).toThrow("expected a shard count ≥ 1, got 0");
  });

  it("spreads meetings over all three servers, none with more than half again its share", async () => {
    await Promise.all(meetings.map(writeMeeting));
    const counts = [0, 0, 0];
    for (const m of meetings) counts[shardIndex(m, 3)]! += 1;
    for (const c of counts) {
      expect(c).toBeGreaterThan(0);
      expect(c).toBeLessThan((meetings.length / 3) * 1.5);
    }
    const sizes = await Promise.all(router.clients.map((c) => c.dbsize()));
    expect(sizes).toEqual(counts.map((c) => c * 3));
  });

  it("keeps every key of one meeting on one server", async () => {
    const owners = new Map<string, Set<number>>();
    for (const [shard, client] of router.clients.entries()) {
      for (const key of await client.keys("meeting:*")) {
        const meeting = key.split(":")[1] as string;
        owners.set(meeting, (owners.get(meeting) ?? new Set()).add(shard));
      }
    }
    expect(owners.size).toBe(meetings.length);
    for (const [meeting, on] of owners) {
      expect([...on], meeting).toEqual([shardIndex(meeting, 3)]);
    }
  });

  it("losing one server fails only its meetings, which work again when it returns", async () => {
    const down = 1;
    const downShard = shards[down] as RedisServer;
    await downShard.stop();
    const results = await Promise.all(
      meetings.map(async (m) => {
        try {
          await router.forMeeting(m).hincrby(`meeting:${m}:seats`, "count", 1);
          return { m, ok: true };
        } catch {
          return { m, ok: false };
        }
      }),
    );
    for (const { m, ok } of results) expect(ok, m).toBe(shardIndex(m, 3) !== down);

    shards[down] = await startRedis({ port: downShard.port });
    await waitFor(
      "the router's client to reconnect",
      async () => router.clients[down]?.status === "ready",
      15_000,
    );
    const ofDown = meetings.filter((m) => shardIndex(m, 3) === down);
    await Promise.all(ofDown.map(writeMeeting));
    const values = await Promise.all(
      ofDown.map((m) => router.forMeeting(m).hget(`meeting:${m}:seats`, "user-1")),
    );
    expect(values.every((v) => v === "1")).toBe(true);
  });
});

describe("REDIS_SHARD_URLS", () => {
  it("keeps the order and refuses bad entries without echoing them", () => {
    expect(parseRedisShardUrls("rediss://a:1, rediss://b:2,rediss://c:3")).toEqual([
      "rediss://a:1",
      "rediss://b:2",
      "rediss://c:3",
    ]);
    expect(() => parseRedisShardUrls("")).toThrow(
      "REDIS_SHARD_URLS: expected one or more redis:// or rediss:// URLs, got none",
    );
    expect(() => parseRedisShardUrls("rediss://u:secretpw@a:1,http://u:secretpw@b")).toThrow(
      "REDIS_SHARD_URLS: entry 2 of 2 must use redis: or rediss:, got http:",
    );
    expect(() => parseRedisShardUrls("rediss://a:1,rediss://a:1")).toThrow(
      "REDIS_SHARD_URLS: a shard is listed twice",
    );
    try {
      parseRedisShardUrls("rediss://u:secretpw@a:1,not a url");
    } catch (error) {
      expect(String(error)).not.toContain("secretpw");
    }
  });
});
