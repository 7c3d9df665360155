import { describe, expect, it } from "vitest";
import { z } from "zod";
import { baseEnvSchema, EnvError, parseEnv, redisShardUrlsVar, urlVar } from "../src/index.ts";

const schema = baseEnvSchema.extend({
  DATABASE_URL: urlVar(["postgres:"]),
  API_SECRET: z.string().min(32, { error: "expected at least 32 characters" }),
});

function problems(env: Record<string, string>): string[] {
  try {
    parseEnv(schema, env, { secrets: ["DATABASE_URL", "API_SECRET"] });
  } catch (error) {
    expect(error).toBeInstanceOf(EnvError);
    return (error as EnvError).problems;
  }
  throw new Error("expected the environment to be refused");
}

describe("parseEnv", () => {
  it("applies defaults and coerces numbers", () => {
    const env = parseEnv(schema, { DATABASE_URL: "postgres://u:p@db/x", API_SECRET: "s".repeat(32) });
    expect(env).toMatchObject({
      PORT: 8080,
      HOST: "0.0.0.0",
      LOG_LEVEL: "info",
      TRUST_PROXY_HOPS: 0,
      SHUTDOWN_DRAIN_MS: 10_000,
      DATABASE_PREPARE: true,
    });
  });

  it("reads DATABASE_PREPARE as a strict boolean (the stack sets false behind PgBouncer)", () => {
    const base = { DATABASE_URL: "postgres://u:p@db/x", API_SECRET: "s".repeat(32) };
    expect(parseEnv(schema, { ...base, DATABASE_PREPARE: "false" }).DATABASE_PREPARE).toBe(false);
    expect(parseEnv(schema, { ...base, DATABASE_PREPARE: "true" }).DATABASE_PREPARE).toBe(true);
    expect(problems({ ...base, DATABASE_PREPARE: "no" })).toEqual([
      'DATABASE_PREPARE: expected true or false, got "no"',
    ]);
  });

  it("names the variable, the rule and the value of each problem", () => {
    expect(
      problems({
        PORT: "99999",
        LOG_LEVEL: "loud",
        DATABASE_URL: "postgres://x/y",
        API_SECRET: "s".repeat(32),
      }),
    ).toEqual([
      'PORT: expected a port between 1 and 65535, got "99999"',
      'LOG_LEVEL: expected debug, info, warn or error, got "loud"',
    ]);
  });

  it("never repeats a secret's value, only its length", () => {
    const found = problems({ DATABASE_URL: "mysql://user:hunter2@db/x", API_SECRET: "short-secret" });
    expect(found).toEqual([
      "DATABASE_URL: expected a URL with scheme postgres, got a value of 25 characters (hidden: secret)",
      "API_SECRET: expected at least 32 characters, got a value of 12 characters (hidden: secret)",
    ]);
    expect(found.join("\n")).not.toMatch(/hunter2|short-secret/);
  });

  it("says when a required variable is not set", () => {
    expect(problems({ API_SECRET: "s".repeat(32) })).toEqual(["DATABASE_URL: is required, it is not set"]);
  });
});

describe("redisShardUrlsVar", () => {
  const shards = baseEnvSchema.extend({ REDIS_SHARD_URLS: redisShardUrlsVar });

  it("is optional and reads a comma-separated list in shard order", () => {
    expect(parseEnv(shards, {}).REDIS_SHARD_URLS).toBeUndefined();
    expect(
      parseEnv(shards, { REDIS_SHARD_URLS: "redis://a:6379, rediss://b:6380" }).REDIS_SHARD_URLS,
    ).toEqual(["redis://a:6379", "rediss://b:6380"]);
  });

  it("names the variable and the rule, without echoing the URLs (they carry passwords)", () => {
    let error: unknown;
    try {
      parseEnv(
        shards,
        { REDIS_SHARD_URLS: "redis://:pw@a:6379,http://:pw@b" },
        { secrets: ["REDIS_SHARD_URLS"] },
      );
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(EnvError);
    const listed = (error as EnvError).problems;
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatch(/^REDIS_SHARD_URLS: entry 2 of 2 must use redis: or rediss:, got http:/);
    expect(listed.join("\n")).not.toContain("pw");
  });
});
