import { afterAll, beforeAll, expect, inject, it } from "vitest";
import type { PasswordHasher } from "../src/passwords.ts";
import { type AuthHarness, metricValue, type SignedInUser, signUp, startAuthHarness } from "./harness.ts";

/**
 * Login isolation against PostgreSQL and redis-server with real argon2id: one hashing slot and two queue places,
 * so a storm of logins is far beyond the bound. Every answer must be one a serial order could give (200 for the
 * right password, 401 for a wrong one) or the pool's 503 with Retry-After; never another 5xx.
 */
const CONCURRENCY = 1;
const QUEUE = 2;
const STORM = 30;

let h: AuthHarness;
/** Hashes and verifications inside the real hasher right now, and the most ever seen at once. */
let inside = 0;
let mostInside = 0;

const counting = (hasher: PasswordHasher): PasswordHasher => {
  const counted =
    <A extends unknown[], R>(fn: (...args: A) => Promise<R>) =>
    async (...args: A) => {
      inside += 1;
      mostInside = Math.max(mostInside, inside);
      try {
        return await fn(...args);
      } finally {
        inside -= 1;
      }
    };
  return {
    hash: counted(hasher.hash),
    verify: counted(hasher.verify),
    needsRehash: hasher.needsRehash,
  };
};

const users: SignedInUser[] = [];
beforeAll(async () => {
  h = await startAuthHarness(
    inject("postgresAdminUrl"),
    { hashing: { concurrency: CONCURRENCY, queue: QUEUE } },
    "auth_login_storm",
    counting,
  );
  for (let i = 0; i < 6; i++) users.push(await signUp(h));
});
afterAll(async () => h.stop());

const sessionCount = async () =>
  (await h.db.sql<{ count: number }[]>`select count(*)::int as count from sessions`)[0]?.count ?? 0;

it("a login storm beyond the bound gets 503 with Retry-After, never another 5xx, and successful logins stay correct", async () => {
  const sessionsBefore = await sessionCount();
  mostInside = 0;
  const attempts = Array.from({ length: STORM }, (_, i) => {
    const user = users[i % users.length]!;
    return { user, right: i % 3 !== 0 };
  });
  const answers = await Promise.all(
    attempts.map(async ({ user, right }) => {
      const res = await h.request("/v1/auth/login", {
        method: "POST",
        json: { email: user.email, password: right ? user.password : `${user.password} but wrong` },
      });
      return { res, body: (await res.json()) as Record<string, unknown> };
    }),
  );

  const statuses = answers.map((a) => a.res.status);
  expect(statuses.every((s) => s === 200 || s === 401 || s === 503)).toBe(true);
  expect(mostInside).toBe(CONCURRENCY);
  const refused = answers.filter((a) => a.res.status === 503);
  expect(refused.length).toBeGreaterThan(0);
  for (const { res, body } of refused) {
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    expect(body.code).toBe("password_hashing_busy");
  }

  // A wrong password is never let in because of the storm; a right one gets a working token pair.
  for (const [i, { res, body }] of answers.entries()) {
    const { user, right } = attempts[i]!;
    if (!right) expect([401, 503]).toContain(res.status);
    if (res.status !== 200) continue;
    expect(right).toBe(true);
    const me = await h.request("/v1/users/me", { token: String(body.accessToken) });
    expect(me.status).toBe(200);
    expect(((await me.json()) as { email: string }).email).toBe(user.email);
  }
  const admitted = statuses.filter((s) => s === 200).length;
  expect(await sessionCount()).toBe(sessionsBefore + admitted);

  const metrics = await h.service.metrics.registry.metrics();
  expect(metricValue(metrics, "gomeet_auth_hash_rejected_total")).toBe(refused.length);
  expect(metricValue(metrics, "gomeet_auth_hash_pool", { state: "running" })).toBe(0);
  expect(metricValue(metrics, "gomeet_auth_hash_pool", { state: "waiting" })).toBe(0);
});

it("registrations in a storm are refused the same way, and no refused one creates an account", async () => {
  const stamp = Date.now();
  const emails = Array.from({ length: STORM }, (_, i) => `storm-${stamp}-${i}@example.com`);
  const answers = await Promise.all(
    emails.map((email) =>
      h.request("/v1/auth/register", {
        method: "POST",
        json: { email, displayName: "Storm", password: "a long enough password" },
      }),
    ),
  );
  const statuses = answers.map((a) => a.status);
  expect(statuses.every((s) => s === 202 || s === 503)).toBe(true);
  expect(statuses).toContain(503);
  const created = await h.db.sql<{ email: string }[]>`
    select email from users where email like ${`storm-${stamp}-%`}`;
  const accepted = emails.filter((_, i) => statuses[i] === 202).sort();
  expect(created.map((r) => r.email).sort()).toEqual(accepted);
});

it("once the storm is over, the pool is free again and a login succeeds", async () => {
  const user = users[0]!;
  const res = await h.request("/v1/auth/login", {
    method: "POST",
    json: { email: user.email, password: user.password },
  });
  expect(res.status).toBe(200);
});
