import { existsSync } from "node:fs";
import { getPriority } from "node:os";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HashingThreads } from "../src/hashing-worker.ts";
import { createPasswordHasher, DEFAULT_ARGON2, type PasswordHasher } from "../src/passwords.ts";
import { threadNice } from "./harness.ts";

const linux = process.platform === "linux";

describe("HashingThreads", () => {
  let threads: HashingThreads;
  let onThreads: PasswordHasher;
  let onLibuv: PasswordHasher;
  const nice = 17;

  beforeAll(async () => {
    threads = await HashingThreads.start({ size: 2, nice });
    onThreads = await createPasswordHasher(DEFAULT_ARGON2, threads);
    onLibuv = await createPasswordHasher(DEFAULT_ARGON2);
  });
  afterAll(async () => {
    await threads.close();
  });

  it("makes hashes the libuv verifier accepts, and accepts the libuv hasher's", async () => {
    const fromThread = await onThreads.hash("correct horse battery staple");
    expect(fromThread).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await onLibuv.verify(fromThread, "correct horse battery staple")).toBe(true);
    expect(onThreads.needsRehash(fromThread)).toBe(false);

    const fromLibuv = await onLibuv.hash("tr0ub4dor&3");
    expect(await onThreads.verify(fromLibuv, "tr0ub4dor&3")).toBe(true);
  });

  it("rejects a wrong password, an unknown user (the decoy) and an unreadable stored hash", async () => {
    const stored = await onThreads.hash("the right one");
    expect(await onThreads.verify(stored, "the wrong one")).toBe(false);
    expect(await onThreads.verify(undefined, "the right one")).toBe(false);
    expect(await onThreads.verify("not an argon2 hash", "the right one")).toBe(false);
  });

  it("runs more jobs than threads, each answered with its own result", async () => {
    const passwords = Array.from({ length: 6 }, (_, i) => `password ${i}`);
    const hashes = await Promise.all(passwords.map((p) => onThreads.hash(p)));
    const checks = await Promise.all(hashes.map((h, i) => onThreads.verify(h, passwords[(i + 1) % 6]!)));
    expect(checks).toEqual([false, false, false, false, false, false]);
    expect(await Promise.all(hashes.map((h, i) => onThreads.verify(h, passwords[i]!)))).toEqual(
      Array(6).fill(true),
    );
  });

  it.skipIf(!linux)("runs each thread at the configured nice value and leaves the event loop's alone", () => {
    const tids = threads.threadIds;
    expect(tids).toHaveLength(2);
    for (const tid of tids) {
      expect(threadNice(tid!)).toBe(nice);
    }
    expect(threadNice(process.pid)).toBe(getPriority());
  });

  it("rejects the job of a thread that dies mid-hash, and the replacement takes the next", async () => {
    const before = threads.threadIds;
    const hashing = onThreads.hash("in flight");
    // Both threads may be idle; the job went to the first free one, which is the first.
    await threads.workers[0]!.terminate();
    await expect(hashing).rejects.toThrow(/password hashing thread exited \(code \d+\) during the hash/);

    const stored = await onThreads.hash("after the crash");
    expect(await onThreads.verify(stored, "after the crash")).toBe(true);
    await expect.poll(() => threads.threadIds.filter((tid) => tid !== undefined).length).toBe(2);
    expect(threads.threadIds[0]).not.toBe(before[0]);
    if (linux) expect(threadNice(threads.threadIds[0]!)).toBe(nice);
  });
});

describe("HashingThreads.close", () => {
  it("ends every thread and refuses later jobs", async () => {
    const threads = await HashingThreads.start({ size: 2, nice: 19 });
    const hasher = await createPasswordHasher(DEFAULT_ARGON2, threads);
    const tids = threads.threadIds;
    if (linux) for (const tid of tids) expect(existsSync(`/proc/self/task/${tid}`)).toBe(true);
    await threads.close();
    if (linux) for (const tid of tids) expect(existsSync(`/proc/self/task/${tid}`)).toBe(false);
    for (const worker of threads.workers) expect(worker.threadId).toBe(-1);
    await expect(hasher.hash("too late")).rejects.toThrow("password hashing threads closed");
  });

  it("refuses a size that is not a positive integer", async () => {
    await expect(HashingThreads.start({ size: 0, nice: 19 })).rejects.toThrow(
      "hashing threads: size must be an integer ≥ 1, got 0",
    );
  });
});
