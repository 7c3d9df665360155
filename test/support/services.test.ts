import { Redis } from "ioredis";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createTestDatabase } from "./postgres.ts";
import { type RedisServer, useTestRedis } from "./redis.ts";

describe("test service helpers", () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await useTestRedis();
  });
  afterAll(async () => {
    await redis.stop();
  });

  it("creates an isolated PostgreSQL database that accepts writes", async () => {
    const db = await createTestDatabase(inject("postgresAdminUrl"), "helpers");
    const sql = postgres(db.url, { max: 1, onnotice: () => undefined });
    try {
      await sql`create table t (n int)`;
      await sql`insert into t values (41), (1)`;
      const [row] = await sql<{ total: number }[]>`select sum(n)::int as total from t`;
      expect(row?.total).toBe(42);
      const [version] = await sql<{ server_version: string }[]>`show server_version`;
      expect(Number.parseInt(version?.server_version ?? "0", 10)).toBeGreaterThanOrEqual(15);
    } finally {
      await sql.end();
      await db.drop();
    }
  });

  it("starts a redis-server that stores and publishes", async () => {
    const client = new Redis(redis.url);
    const sub = new Redis(redis.url);
    try {
      await client.set("helpers:key", "value");
      expect(await client.get("helpers:key")).toBe("value");
      const received = new Promise<string>((resolve) => sub.on("message", (_c, m: string) => resolve(m)));
      await sub.subscribe("helpers:channel");
      await client.publish("helpers:channel", "hello");
      expect(await received).toBe("hello");
    } finally {
      client.disconnect();
      sub.disconnect();
    }
  });
});
