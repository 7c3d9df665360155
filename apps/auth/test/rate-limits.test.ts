import { afterAll, beforeAll, expect, inject, it } from "vitest";
import { type AuthHarness, metricValue, signUp, startAuthHarness } from "./harness.ts";

let h: AuthHarness;
beforeAll(async () => {
  h = await startAuthHarness(
    inject("postgresAdminUrl"),
    {
      rateLimits: {
        loginIp: { limit: 5, windowSeconds: 60 },
        loginAccount: { limit: 3, windowSeconds: 60 },
        registerIp: { limit: 2, windowSeconds: 60 },
        refreshIp: { limit: 4, windowSeconds: 60 },
        refreshAccount: { limit: 2, windowSeconds: 2 },
      },
    },
    "auth_rate",
  );
});
afterAll(async () => h.stop());

let ipCounter = 10;
const freshIp = () => `198.51.100.${ipCounter++}`;

async function expect429(res: Response, limiterWindowSeconds: number) {
  expect(res.status).toBe(429);
  expect(res.headers.get("content-type")).toBe("application/problem+json");
  const retryAfter = Number(res.headers.get("retry-after"));
  expect(Number.isInteger(retryAfter)).toBe(true);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(limiterWindowSeconds);
  expect(((await res.json()) as { code: string }).code).toBe("rate_limited");
}

const login = (email: string, ip: string) =>
  h.request("/v1/auth/login", { method: "POST", json: { email, password: "wrong password" }, ip });

it("limits logins per client address", async () => {
  const ip = freshIp();
  for (let i = 0; i < 5; i++) expect((await login(`ip-${i}@example.com`, ip)).status).toBe(401);
  await expect429(await login("ip-last@example.com", ip), 60);
  // Another address is not affected.
  expect((await login("ip-other@example.com", freshIp())).status).toBe(401);
});

it("limits logins per account across addresses, for unknown accounts too", async () => {
  const registered = `limited-${Date.now()}@example.com`;
  await h.request("/v1/auth/register", {
    method: "POST",
    json: { email: registered, displayName: "L", password: "long enough pw" },
    ip: freshIp(),
  });
  for (const email of ["ghost@example.com", registered]) {
    for (let i = 0; i < 3; i++) expect((await login(email, freshIp())).status).toBe(401);
    await expect429(await login(email.toUpperCase(), freshIp()), 60);
  }
  const metrics = await (await h.request("/metrics")).text();
  expect(metricValue(metrics, "gomeet_auth_login_failures_total", { reason: "locked" })).toBe(2);
  expect(
    metricValue(metrics, "gomeet_rate_limited_total", { service: "auth", limiter: "auth_login_account" }),
  ).toBe(2);
});

it("limits registrations per client address", async () => {
  const ip = freshIp();
  const register = (n: number) =>
    h.request("/v1/auth/register", {
      method: "POST",
      json: { email: `r${n}-${Date.now()}@example.com`, displayName: "R", password: "long enough pw" },
      ip,
    });
  expect((await register(1)).status).toBe(202);
  expect((await register(2)).status).toBe(202);
  await expect429(await register(3), 60);
});

it("limits refreshes per client address and per account, and the account limit refills", async () => {
  const user = await signUp(h);
  const ip = freshIp();
  const refresh = (token: string, from = ip) =>
    h.request("/v1/auth/refresh", { method: "POST", json: { refreshToken: token }, ip: from });
  let token = user.refreshToken;
  for (let i = 0; i < 2; i++) {
    const res = await refresh(token);
    expect(res.status).toBe(200);
    token = ((await res.json()) as { refreshToken: string }).refreshToken;
  }
  // Per account: 2 per 2 s. The refused refresh leaves the token unused, so it still works later.
  await expect429(await refresh(token, freshIp()), 2);
  await new Promise((r) => setTimeout(r, 1_100));
  const later = await refresh(token, freshIp());
  expect(later.status).toBe(200);
  // Per address: 4 per minute, whatever the token (two were used above).
  expect((await refresh("unknown-token")).status).toBe(401);
  expect((await refresh("unknown-token")).status).toBe(401);
  await expect429(await refresh("unknown-token"), 60);
});

it("shares one budget across concurrent requests (atomic in Redis)", async () => {
  const ip = freshIp();
  const answers = await Promise.all(
    Array.from({ length: 20 }, (_, i) => login(`burst-${i}@example.com`, ip)),
  );
  const statuses = answers.map((r) => r.status);
  expect(statuses.filter((s) => s === 401)).toHaveLength(5);
  expect(statuses.filter((s) => s === 429)).toHaveLength(15);
});
