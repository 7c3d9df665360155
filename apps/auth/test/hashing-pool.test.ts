import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { hashingFromEnv, readAuthEnv } from "../src/config.ts";
import { defaultHashConcurrency, HashingBusyError, HashingPool } from "../src/hashing-pool.ts";
import { metricValue } from "./harness.ts";

/** A task that runs until the test ends it, so the pool's state can be read while work is in flight. */
function heldTask() {
  let finish!: () => void;
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  let started = false;
  return {
    task: async () => {
      started = true;
      await done;
    },
    finish,
    get started() {
      return started;
    },
  };
}

/** Lets queued microtasks and promise hand-offs settle without any timer. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("HashingPool", () => {
  it("runs at most `concurrency` tasks, queues up to `queue` in arrival order and refuses the rest at once", async () => {
    const registry = new Registry();
    const pool = new HashingPool({ concurrency: 2, queue: 3, registry });
    const tasks = Array.from({ length: 5 }, () => heldTask());
    const runs = tasks.map((t) => pool.run(t.task));
    await settle();
    expect(tasks.map((t) => t.started)).toEqual([true, true, false, false, false]);
    expect([pool.active, pool.queued]).toEqual([2, 3]);

    // The sixth is refused while all five admitted tasks are still unfinished: no hash is waited for.
    const refused = await pool.run(async () => "never").catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(HashingBusyError);
    const busy = refused as HashingBusyError;
    expect(busy.status).toBe(503);
    expect(busy.code).toBe("password_hashing_busy");
    expect(Number(busy.headers["retry-after"])).toBeGreaterThanOrEqual(1);
    expect(busy.detail).toMatch(/retry in \d+ s/);
    expect(tasks.every((t, i) => (i < 2 ? t.started : !t.started))).toBe(true);

    tasks[1]!.finish();
    await settle();
    // The freed slot went to the oldest waiter, not to whoever asks next.
    expect(tasks.map((t) => t.started)).toEqual([true, true, true, false, false]);
    expect([pool.active, pool.queued]).toEqual([2, 2]);
    const metrics = await registry.metrics();
    expect(metricValue(metrics, "gomeet_auth_hash_pool", { state: "running" })).toBe(2);
    expect(metricValue(metrics, "gomeet_auth_hash_pool", { state: "waiting" })).toBe(2);
    expect(metricValue(metrics, "gomeet_auth_hash_rejected_total")).toBe(1);

    for (const t of tasks) t.finish();
    await Promise.all(runs);
    expect([pool.active, pool.queued]).toEqual([0, 0]);
  });

  it("gives the slot back when a task fails", async () => {
    const pool = new HashingPool({ concurrency: 1, queue: 0 });
    await expect(pool.run(async () => Promise.reject(new Error("argon2 failed")))).rejects.toThrow(
      "argon2 failed",
    );
    expect(await pool.run(async () => "ran")).toBe("ran");
    expect(pool.active).toBe(0);
  });

  it("with no queue refuses anything beyond the running slots", async () => {
    const pool = new HashingPool({ concurrency: 1, queue: 0 });
    const held = heldTask();
    const first = pool.run(held.task);
    await expect(pool.run(async () => undefined)).rejects.toBeInstanceOf(HashingBusyError);
    held.finish();
    await first;
  });

  it("refuses a nonsensical size naming it", () => {
    expect(() => new HashingPool({ concurrency: 0, queue: 1 })).toThrow(
      "hashing pool: concurrency must be an integer ≥ 1, got 0",
    );
    expect(() => new HashingPool({ concurrency: 1, queue: -1 })).toThrow(
      "hashing pool: queue must be an integer ≥ 0, got -1",
    );
  });
});

describe("AUTH_HASH_CONCURRENCY, AUTH_HASH_QUEUE and AUTH_HASH_NICE", () => {
  const base = {
    DATABASE_URL: "postgres://auth@127.0.0.1/auth",
    REDIS_URL: "redis://127.0.0.1:6379",
    AUTH_ISSUER: "https://auth.gomeet.test",
    AUTH_SIGNING_KEYS: "{}",
  };

  it("default to one core less than the process may use, and eight waiting per slot", () => {
    expect(defaultHashConcurrency(1)).toBe(1);
    expect(defaultHashConcurrency(2)).toBe(1);
    expect(defaultHashConcurrency(8)).toBe(7);
    expect(hashingFromEnv(readAuthEnv(base), 4)).toEqual({ concurrency: 3, queue: 24 });
    // Each slot has a hashing thread of its own, so libuv's pool size no longer caps them.
    expect(hashingFromEnv(readAuthEnv(base), 32)).toEqual({ concurrency: 31, queue: 248 });
    expect(readAuthEnv(base).AUTH_HASH_NICE).toBe(19);
  });

  it("take explicit values", () => {
    expect(
      hashingFromEnv(readAuthEnv({ ...base, AUTH_HASH_CONCURRENCY: "3", AUTH_HASH_QUEUE: "0" })),
    ).toEqual({
      concurrency: 3,
      queue: 0,
    });
    expect(readAuthEnv({ ...base, AUTH_HASH_NICE: "10" }).AUTH_HASH_NICE).toBe(10);
  });

  it("refuse bad values naming the variable, the rule and the value", () => {
    const problem = (vars: Record<string, string>) => {
      try {
        readAuthEnv({ ...base, ...vars });
        return "accepted";
      } catch (error) {
        return (error as Error).message;
      }
    };
    expect(problem({ AUTH_HASH_CONCURRENCY: "0" })).toContain(
      'AUTH_HASH_CONCURRENCY: expected an integer ≥ 1, got "0"',
    );
    expect(problem({ AUTH_HASH_CONCURRENCY: "two" })).toContain(
      'AUTH_HASH_CONCURRENCY: expected a number, got "two"',
    );
    expect(problem({ AUTH_HASH_QUEUE: "-1" })).toContain(
      'AUTH_HASH_QUEUE: expected an integer ≥ 0, got "-1"',
    );
    expect(problem({ AUTH_HASH_CONCURRENCY: "6" })).toBe("accepted");
    expect(problem({ AUTH_HASH_NICE: "0" })).toBe("accepted");
    expect(problem({ AUTH_HASH_NICE: "20" })).toContain(
      'AUTH_HASH_NICE: expected an integer from 0 to 19, got "20"',
    );
    expect(problem({ AUTH_HASH_NICE: "-5" })).toContain(
      'AUTH_HASH_NICE: expected an integer from 0 to 19, got "-5"',
    );
    expect(problem({ AUTH_HASH_NICE: "low" })).toContain('AUTH_HASH_NICE: expected a number, got "low"');
  });
});

describe("HashingPool.refuseIfFull", () => {
  it("refuses exactly when run would, without taking a place", async () => {
    const registry = new Registry();
    const pool = new HashingPool({ concurrency: 1, queue: 1, registry });
    const held = [heldTask(), heldTask()];
    pool.refuseIfFull();
    const first = pool.run(held[0]!.task);
    pool.refuseIfFull();
    const second = pool.run(held[1]!.task);
    await settle();
    expect(() => pool.refuseIfFull()).toThrow(HashingBusyError);
    expect([pool.active, pool.queued]).toEqual([1, 1]);
    expect(metricValue(await registry.metrics(), "gomeet_auth_hash_rejected_total")).toBe(1);
    for (const t of held) t.finish();
    await Promise.all([first, second]);
    expect(() => pool.refuseIfFull()).not.toThrow();
  });
});
