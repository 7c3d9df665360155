import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RedisServer, useTestRedis } from "../../../test/support/redis.ts";
import {
  createRateLimiter,
  createRedis,
  createServiceMetrics,
  parseRateLimitRule,
  redisReady,
} from "../src/index.ts";

let server: RedisServer;
let redis: Redis;
beforeAll(async () => {
  server = await useTestRedis();
  redis = createRedis({ url: server.url });
  await redisReady(redis);
});
afterAll(async () => {
  redis.disconnect();
  await server.stop();
});

let n = 0;
const limiter = (limit: number, windowSeconds: number) =>
  createRateLimiter({ redis, name: `test${++n}`, rule: { limit, windowSeconds }, prefix: "kit-test" });

describe("GCRA rate limiter on redis-server", () => {
  it("allows a burst of `limit`, then refuses with the wait until the next slot", async () => {
    const rl = limiter(3, 30);
    const decisions = [];
    for (let i = 0; i < 4; i++) decisions.push(await rl.consume("k"));
    expect(decisions.map((d) => d.allowed)).toEqual([true, true, true, false]);
    expect(decisions.map((d) => d.remaining)).toEqual([2, 1, 0, 0]);
    // One slot frees every window / limit = 10 s.
    expect(decisions[3]?.retryAfterSeconds).toBe(10);
    expect((await rl.consume("other key")).allowed).toBe(true);
  });

  it("refills at the emission rate", async () => {
    const rl = limiter(2, 1);
    expect((await rl.consume("k")).allowed).toBe(true);
    expect((await rl.consume("k")).allowed).toBe(true);
    expect((await rl.consume("k")).allowed).toBe(false);
    await new Promise((r) => setTimeout(r, 550));
    expect((await rl.consume("k")).allowed).toBe(true);
    expect((await rl.consume("k")).allowed).toBe(false);
  });

  it("is atomic under concurrency: exactly `limit` of 100 simultaneous requests pass", async () => {
    const rl = limiter(10, 60);
    const other = createRedis({ url: server.url });
    await redisReady(other);
    const rl2 = createRateLimiter({ redis: other, name: rl.name, rule: rl.rule, prefix: "kit-test" });
    try {
      const results = await Promise.all(
        Array.from({ length: 100 }, (_, i) => (i % 2 ? rl : rl2).consume("shared")),
      );
      expect(results.filter((r) => r.allowed)).toHaveLength(10);
    } finally {
      other.disconnect();
    }
  });

  it("lets keys expire once the bucket is full again", async () => {
    const rl = limiter(5, 1);
    await rl.consume("ttl");
    const ttl = await redis.pttl(`kit-test:rl:${rl.name}:ttl`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(200);
  });

  it("enforce throws a 429 problem with Retry-After and counts gomeet_rate_limited_total", async () => {
    const metrics = createServiceMetrics("kit");
    const rl = createRateLimiter({
      redis,
      name: "login_ip",
      rule: { limit: 1, windowSeconds: 60 },
      prefix: "kit-test",
      metrics,
    });
    await rl.enforce("ip");
    await expect(rl.enforce("ip")).rejects.toMatchObject({
      status: 429,
      code: "rate_limited",
      headers: { "retry-after": "60" },
    });
    expect(await metrics.registry.getSingleMetricAsString("gomeet_rate_limited_total")).toContain(
      'gomeet_rate_limited_total{limiter="login_ip",service="kit"} 1',
    );
  });

  it("fails closed with a 503 problem when Redis is unreachable", async () => {
    const gone = createRedis({ url: "redis://127.0.0.1:1" });
    try {
      const rl = createRateLimiter({
        redis: gone,
        name: "offline",
        rule: { limit: 5, windowSeconds: 60 },
        prefix: "kit-test",
      });
      await expect(rl.enforce("k")).rejects.toMatchObject({
        status: 503,
        code: "rate_limiter_unavailable",
        headers: { "retry-after": "1" },
      });
    } finally {
      gone.disconnect();
    }
  });
});

describe("parseRateLimitRule", () => {
  it("reads LIMIT/WINDOW", () => {
    expect(parseRateLimitRule("20/1m")).toEqual({ limit: 20, windowSeconds: 60 });
    expect(parseRateLimitRule("5/30s")).toEqual({ limit: 5, windowSeconds: 30 });
    expect(parseRateLimitRule(" 100/1h ")).toEqual({ limit: 100, windowSeconds: 3600 });
  });
  it("refuses anything else, naming the value", () => {
    for (const text of ["20", "0/1m", "20/0s", "x/1m", "20/1d"])
      expect(() => parseRateLimitRule(text)).toThrow(JSON.stringify(text));
  });
});
