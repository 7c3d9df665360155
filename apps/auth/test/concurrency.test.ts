import { afterAll, beforeAll, expect, inject, it } from "vitest";
import { type AuthHarness, signIn, signUp, startAuthHarness } from "./harness.ts";

/**
 * Requests sent several times at once against PostgreSQL and redis-server: answers a serial order of the same
 * requests could give. Both cases were found by the concurrency campaign (test/concurrency).
 */
const N = 6;
let h: AuthHarness;
beforeAll(async () => {
  h = await startAuthHarness(inject("postgresAdminUrl"), {}, "auth_concurrency");
});
afterAll(async () => h.stop());

const openSessions = async (userId: string) =>
  (
    await h.db.sql<{ count: number }[]>`
      select count(*)::int as count from sessions where user_id = ${userId} and revoked_at is null`
  )[0]?.count;

it("of concurrent password changes verified against the same password, exactly one applies", async () => {
  const phone = await signUp(h);
  const laptop = await signIn(h, phone.email, phone.password);
  const answers = await Promise.all(
    Array.from({ length: N }, (_, i) =>
      h.request("/v1/users/me/password", {
        method: "POST",
        token: i % 2 === 0 ? phone.accessToken : laptop.accessToken,
        json: { currentPassword: phone.password, newPassword: `a new long password ${i}` },
      }),
    ),
  );
  const statuses = answers.map((a) => a.status);
  expect(statuses.filter((s) => s === 204)).toHaveLength(1);
  expect(statuses.filter((s) => s !== 204).every((s) => s === 403 || s === 401)).toBe(true);
  // The winner's session stays; the other one was ended by the change (not both by each other's).
  expect(await openSessions(phone.id)).toBe(1);
  const winner = statuses.indexOf(204);
  const relogin = await h.request("/v1/auth/login", {
    method: "POST",
    json: { email: phone.email, password: `a new long password ${winner}` },
  });
  expect(relogin.status).toBe(200);
});

it("logins racing a disable: none leaves an open session on the disabled account", async () => {
  const admin = await signUp(h, { admin: true });
  const target = await signUp(h);
  const logins = Array.from({ length: N }, (_, i) =>
    h.request("/v1/auth/login", {
      method: "POST",
      ip: `192.0.2.${10 + i}`,
      json: { email: target.email, password: target.password },
    }),
  );
  const disable = h.request(`/v1/admin/users/${target.id}/disable`, {
    method: "POST",
    token: admin.accessToken,
  });
  const [disabled, ...answers] = await Promise.all([disable, ...logins]);
  expect(disabled.status).toBe(200);
  for (const answer of answers) expect([200, 403]).toContain(answer.status);
  expect(await openSessions(target.id)).toBe(0);
});
