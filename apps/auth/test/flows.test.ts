import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { CHAT_TICKET_AUDIENCE, CHAT_TICKET_TYPE, createTokenVerifier } from "../../shared/src/index.ts";
import {
  AUDIENCE,
  type AuthHarness,
  ISSUER,
  metricValue,
  signIn,
  signUp,
  startAuthHarness,
} from "./harness.ts";

let h: AuthHarness;
beforeAll(async () => {
  h = await startAuthHarness(inject("postgresAdminUrl"), {}, "auth_flows");
});
afterAll(async () => h.stop());

const post = (path: string, json: unknown, token?: string) =>
  h.request(path, { method: "POST", json, ...(token ? { token } : {}) });

async function problem(res: Response) {
  expect(res.headers.get("content-type")).toBe("application/problem+json");
  return (await res.json()) as { code: string; status: number; detail: string; errors?: { field: string }[] };
}

describe("register and login", () => {
  it("answers a new and an already registered email identically", async () => {
    const email = `dup-${Date.now()}@example.com`;
    const first = await post("/v1/auth/register", {
      email,
      displayName: "First",
      password: "first password 1",
    });
    const again = await post("/v1/auth/register", {
      email: email.toUpperCase(),
      displayName: "Second",
      password: "second password 2",
    });
    expect(first.status).toBe(202);
    expect(again.status).toBe(202);
    expect(await again.json()).toEqual(await first.json());
    // The first registration stands: only its password signs in.
    expect((await post("/v1/auth/login", { email, password: "first password 1" })).status).toBe(200);
    expect((await post("/v1/auth/login", { email, password: "second password 2" })).status).toBe(401);
  });

  it("stores the password as argon2id at the ASVS minimum cost", async () => {
    const user = await signUp(h);
    const [row] = await h.db.sql<
      { hash: string }[]
    >`select password_hash as hash from users where id = ${user.id}`;
    expect(row?.hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
  });

  it("gives the same answer for an unknown email and a wrong password", async () => {
    const user = await signUp(h);
    const wrong = await post("/v1/auth/login", { email: user.email, password: "not the password" });
    const unknown = await post("/v1/auth/login", {
      email: `nobody-${Date.now()}@example.com`,
      password: "not the password",
    });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    const [a, b] = [await problem(wrong), await problem(unknown)];
    expect({ ...a, requestId: undefined }).toEqual({ ...b, requestId: undefined });
  });

  it("takes comparable time for an unknown email and a wrong password", async () => {
    const user = await signUp(h);
    const time = async (email: string) => {
      const started = performance.now();
      await post("/v1/auth/login", { email, password: "not the password" });
      return performance.now() - started;
    };
    const known: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 16; i++) {
      known.push(await time(user.email));
      unknown.push(await time(`ghost-${i}-${Date.now()}@example.com`));
    }
    const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)] as number;
    const ratio = median(unknown) / median(known);
    // Both paths run one argon2id verification (a decoy hash for unknown emails), so the medians stay close;
    // skipping the hash for unknown emails would make that path about 10x faster (ratio near 0.1).
    expect(ratio).toBeGreaterThan(0.5);
    expect(ratio).toBeLessThan(2);
  });

  it("names the failing field of a bad body", async () => {
    const res = await post("/v1/auth/register", {
      email: "not-an-email",
      displayName: "",
      password: "short",
    });
    expect(res.status).toBe(422);
    const body = await problem(res);
    expect(body.code).toBe("validation_failed");
    expect(body.errors?.map((e) => e.field).sort()).toEqual(["displayName", "email", "password"]);
  });

  it("refuses malformed JSON and a wrong content type as problems", async () => {
    const malformed = await h.request("/v1/auth/login", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{",
    });
    expect(malformed.status).toBe(400);
    expect((await problem(malformed)).code).toBe("malformed_body");
    const text = await h.request("/v1/auth/login", {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: "hi",
    });
    expect(text.status).toBe(415);
    expect((await problem(text)).code).toBe("unsupported_media_type");
  });
});

describe("profile, password and sessions", () => {
  it("reads and updates the profile", async () => {
    const user = await signUp(h);
    const me = await h.request("/v1/users/me", { token: user.accessToken });
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({
      id: user.id,
      email: user.email,
      roles: ["member"],
      disabled: false,
    });
    const patched = await h.request("/v1/users/me", {
      method: "PATCH",
      json: { displayName: "  Grace Hopper " },
      token: user.accessToken,
    });
    expect(await patched.json()).toMatchObject({ displayName: "Grace Hopper" });
    const bad = await h.request("/v1/users/me", {
      method: "PATCH",
      json: { displayName: "a\u0000b" },
      token: user.accessToken,
    });
    expect((await problem(bad)).errors?.[0]?.field).toBe("displayName");
  });

  it("changes the password and ends every other session", async () => {
    const phone = await signUp(h);
    const laptop = await signIn(h, phone.email, phone.password);
    const wrong = await post(
      "/v1/users/me/password",
      { currentPassword: "nope nope", newPassword: "a new long password" },
      laptop.accessToken,
    );
    expect(wrong.status).toBe(403);
    const ok = await post(
      "/v1/users/me/password",
      { currentPassword: phone.password, newPassword: "a new long password" },
      laptop.accessToken,
    );
    expect(ok.status).toBe(204);
    expect((await post("/v1/auth/refresh", { refreshToken: phone.refreshToken })).status).toBe(401);
    expect((await h.request("/v1/users/me", { token: phone.accessToken })).status).toBe(401);
    expect((await post("/v1/auth/refresh", { refreshToken: laptop.refreshToken })).status).toBe(200);
    expect((await post("/v1/auth/login", { email: phone.email, password: phone.password })).status).toBe(401);
    expect(
      (await post("/v1/auth/login", { email: phone.email, password: "a new long password" })).status,
    ).toBe(200);
  });

  it("lists sessions and ends one", async () => {
    const a = await signUp(h);
    const b = await signIn(h, a.email, a.password);
    const list = await h.request("/v1/sessions", { token: a.accessToken });
    const { sessions } = (await list.json()) as { sessions: { id: string; current: boolean }[] };
    expect(sessions.map((s) => s.id).sort()).toEqual([a.sessionId, b.sessionId].sort());
    expect(sessions.find((s) => s.id === a.sessionId)?.current).toBe(true);
    expect(
      (await h.request(`/v1/sessions/${b.sessionId}`, { method: "DELETE", token: a.accessToken })).status,
    ).toBe(204);
    expect((await post("/v1/auth/refresh", { refreshToken: b.refreshToken })).status).toBe(401);
    expect(
      (await h.request(`/v1/sessions/${b.sessionId}`, { method: "DELETE", token: a.accessToken })).status,
    ).toBe(404);
    const other = await signUp(h);
    expect(
      (await h.request(`/v1/sessions/${other.sessionId}`, { method: "DELETE", token: a.accessToken })).status,
    ).toBe(404);
    expect(
      (await h.request("/v1/sessions/not-a-uuid", { method: "DELETE", token: a.accessToken })).status,
    ).toBe(422);
  });

  it("logs out: the session's access and refresh tokens stop working at auth", async () => {
    const user = await signUp(h);
    expect((await h.request("/v1/auth/logout", { method: "POST", token: user.accessToken })).status).toBe(
      204,
    );
    expect((await h.request("/v1/users/me", { token: user.accessToken })).status).toBe(401);
    const refreshed = await post("/v1/auth/refresh", { refreshToken: user.refreshToken });
    expect((await problem(refreshed)).code).toBe("invalid_refresh_token");
  });
});

describe("refresh tokens", () => {
  it("rotates on every use and revokes the whole family when a used token comes back", async () => {
    const user = await signUp(h);
    const first = await post("/v1/auth/refresh", { refreshToken: user.refreshToken });
    const rotated = (await first.json()) as { refreshToken: string; accessToken: string; sessionId: string };
    expect(rotated.refreshToken).not.toBe(user.refreshToken);
    expect(rotated.sessionId).toBe(user.sessionId);
    const second = (await (
      await post("/v1/auth/refresh", { refreshToken: rotated.refreshToken })
    ).json()) as { refreshToken: string };

    const replay = await post("/v1/auth/refresh", { refreshToken: user.refreshToken });
    expect(replay.status).toBe(401);
    expect((await problem(replay)).code).toBe("refresh_token_reused");
    // The newest token of the family is dead too, and so is the session's access token at auth.
    expect((await post("/v1/auth/refresh", { refreshToken: second.refreshToken })).status).toBe(401);
    expect((await h.request("/v1/users/me", { token: rotated.accessToken })).status).toBe(401);
    const [row] = await h.db.sql<
      { reason: string }[]
    >`select revoked_reason as reason from sessions where id = ${user.sessionId}`;
    expect(row?.reason).toBe("refresh_token_reuse");
  });

  it("stores only digests of refresh tokens", async () => {
    const user = await signUp(h);
    const rows = await h.db.sql<{ hash: Buffer }[]>`select token_hash as hash from refresh_tokens`;
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) expect(row.hash.toString("base64url")).not.toBe(user.refreshToken);
    const dump = JSON.stringify(await h.db.sql`select * from sessions`);
    expect(dump).not.toContain(user.refreshToken);
  });

  it("refuses an unknown refresh token", async () => {
    const res = await post("/v1/auth/refresh", { refreshToken: "x".repeat(43) });
    expect((await problem(res)).code).toBe("invalid_refresh_token");
  });
});

describe("idle and absolute session lifetimes", () => {
  let short: AuthHarness;
  beforeAll(async () => {
    short = await startAuthHarness(
      inject("postgresAdminUrl"),
      { refreshIdleSeconds: 2, refreshAbsoluteSeconds: 4 },
      "auth_lifetimes",
    );
  });
  afterAll(async () => short.stop());
  const refresh = (token: string) =>
    short.request("/v1/auth/refresh", { method: "POST", json: { refreshToken: token } });

  it("ends a session left idle longer than the idle lifetime", async () => {
    const user = await signUp(short);
    await new Promise((r) => setTimeout(r, 2_300));
    expect((await refresh(user.refreshToken)).status).toBe(401);
  });

  it("ends a session at its absolute lifetime even when it is refreshed often", async () => {
    const user = await signUp(short);
    let token = user.refreshToken;
    const started = Date.now();
    let lastStatus = 200;
    while (Date.now() - started < 6_000 && lastStatus === 200) {
      await new Promise((r) => setTimeout(r, 500));
      const res = await refresh(token);
      lastStatus = res.status;
      if (res.status === 200) token = ((await res.json()) as { refreshToken: string }).refreshToken;
    }
    expect(lastStatus).toBe(401);
    expect(Date.now() - started).toBeGreaterThanOrEqual(3_500);
  });
});

describe("chat tickets", () => {
  it("issues a short-lived ticket for audience chat that chat verifies through the JWKS", async () => {
    const user = await signUp(h);
    const res = await post("/v1/chat-tickets", { meetingId: "meeting-42" }, user.accessToken);
    expect(res.status).toBe(201);
    const { ticket, expiresIn } = (await res.json()) as { ticket: string; expiresIn: number };
    expect(expiresIn).toBe(60);
    const jwks = (await (await h.request("/.well-known/jwks.json")).json()) as { keys: [] };
    const chat = createTokenVerifier({
      jwks,
      issuer: ISSUER,
      audience: CHAT_TICKET_AUDIENCE,
      type: CHAT_TICKET_TYPE,
    });
    const principal = await chat.verify(ticket);
    expect(principal.subject).toBe(user.id);
    expect(principal.claims.mid).toBe("meeting-42");
    expect(principal.expiresAt - (principal.claims.iat as number)).toBe(60);
    // Single purpose: a ticket is not an access token, neither at auth nor at another service.
    expect((await h.request("/v1/users/me", { token: ticket })).status).toBe(401);
    const api = createTokenVerifier({ jwks, issuer: ISSUER, audience: AUDIENCE });
    await expect(api.verify(ticket)).rejects.toMatchObject({ status: 401 });
    // And an access token is not a ticket.
    await expect(chat.verify(user.accessToken)).rejects.toMatchObject({ status: 401 });
  });

  it("names the field of a bad meeting id", async () => {
    const user = await signUp(h);
    const res = await post("/v1/chat-tickets", { meetingId: "../../etc" }, user.accessToken);
    expect((await problem(res)).errors?.[0]?.field).toBe("meetingId");
  });
});

describe("admin", () => {
  it("refuses members", async () => {
    const member = await signUp(h);
    const res = await h.request("/v1/admin/users", { token: member.accessToken });
    expect(res.status).toBe(403);
    expect((await problem(res)).code).toBe("forbidden");
  });

  it("lists users page by page", async () => {
    const admin = await signUp(h, { admin: true });
    for (let i = 0; i < 3; i++) await signUp(h);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `?limit=2&cursor=${cursor}` : "?limit=2";
      const page = (await (
        await h.request(`/v1/admin/users${query}`, { token: admin.accessToken })
      ).json()) as {
        users: { id: string; email: string }[];
        nextCursor: string | null;
      };
      expect(page.users.length).toBeLessThanOrEqual(2);
      seen.push(...page.users.map((u) => u.id));
      cursor = page.nextCursor;
    } while (cursor);
    const [{ count } = { count: 0 }] = await h.db.sql<
      { count: number }[]
    >`select count(*)::int as count from users`;
    expect(new Set(seen).size).toBe(count);
    const bad = await h.request("/v1/admin/users?limit=0&cursor=zzz", { token: admin.accessToken });
    expect((await problem(bad)).errors?.map((e) => e.field)).toContain("limit");
    const badCursor = await h.request("/v1/admin/users?cursor=zzz", { token: admin.accessToken });
    expect((await problem(badCursor)).errors?.[0]?.field).toBe("cursor");
  });

  it("disables a user: sessions end now, login is refused, enable lets them sign in again", async () => {
    const admin = await signUp(h, { admin: true });
    const user = await signUp(h);
    const res = await post(`/v1/admin/users/${user.id}/disable`, {}, admin.accessToken);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id: user.id, disabled: true });
    expect((await post("/v1/auth/refresh", { refreshToken: user.refreshToken })).status).toBe(401);
    expect((await h.request("/v1/users/me", { token: user.accessToken })).status).toBe(401);
    const login = await post("/v1/auth/login", { email: user.email, password: user.password });
    expect((await problem(login)).code).toBe("account_disabled");
    expect((await post(`/v1/admin/users/${user.id}/enable`, {}, admin.accessToken)).status).toBe(200);
    expect((await post("/v1/auth/login", { email: user.email, password: user.password })).status).toBe(200);
    expect((await post(`/v1/admin/users/${admin.id}/disable`, {}, admin.accessToken)).status).toBe(409);
    expect(
      (await post("/v1/admin/users/00000000-0000-4000-8000-000000000000/disable", {}, admin.accessToken))
        .status,
    ).toBe(404);
  });

  it("changes roles; the new roles reach tokens at the next refresh", async () => {
    const admin = await signUp(h, { admin: true });
    const user = await signUp(h);
    const put = await h.request(`/v1/admin/users/${user.id}/roles`, {
      method: "PUT",
      json: { roles: ["admin", "member"] },
      token: admin.accessToken,
    });
    expect(await put.json()).toMatchObject({ roles: ["admin", "member"] });
    const refreshed = (await (
      await post("/v1/auth/refresh", { refreshToken: user.refreshToken })
    ).json()) as { accessToken: string };
    const payload = JSON.parse(
      Buffer.from(refreshed.accessToken.split(".")[1] as string, "base64url").toString(),
    );
    expect(payload.roles).toEqual(["admin", "member"]);
    const bad = await h.request(`/v1/admin/users/${user.id}/roles`, {
      method: "PUT",
      json: { roles: ["owner"] },
      token: admin.accessToken,
    });
    expect((await problem(bad)).errors?.[0]?.field).toBe("roles.0");
    const demoteSelf = await h.request(`/v1/admin/users/${admin.id}/roles`, {
      method: "PUT",
      json: { roles: ["member"] },
      token: admin.accessToken,
    });
    expect(demoteSelf.status).toBe(409);
  });

  it("ends every session of a user", async () => {
    const admin = await signUp(h, { admin: true });
    const user = await signUp(h);
    const second = await signIn(h, user.email, user.password);
    expect(
      (await h.request(`/v1/admin/users/${user.id}/sessions`, { method: "DELETE", token: admin.accessToken }))
        .status,
    ).toBe(204);
    for (const s of [user, second])
      expect((await post("/v1/auth/refresh", { refreshToken: s.refreshToken })).status).toBe(401);
  });

  it("answers 404 user_not_found for every admin action on an unknown user", async () => {
    const admin = await signUp(h, { admin: true });
    const ghost = "00000000-0000-4000-8000-00000000dead";
    const answers = [
      await post(`/v1/admin/users/${ghost}/disable`, {}, admin.accessToken),
      await post(`/v1/admin/users/${ghost}/enable`, {}, admin.accessToken),
      await h.request(`/v1/admin/users/${ghost}/roles`, {
        method: "PUT",
        json: { roles: ["member"] },
        token: admin.accessToken,
      }),
      await h.request(`/v1/admin/users/${ghost}/sessions`, { method: "DELETE", token: admin.accessToken }),
    ];
    for (const res of answers)
      expect(await problem(res)).toMatchObject({ status: 404, code: "user_not_found" });
  });
});

describe("keys and operations", () => {
  it("publishes only public key material, cacheable", async () => {
    const res = await h.request("/.well-known/jwks.json");
    expect(res.headers.get("cache-control")).toBe("public, max-age=300");
    const { keys } = (await res.json()) as { keys: Record<string, unknown>[] };
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({
      kid: h.keys.current.kid,
      alg: "EdDSA",
      kty: "OKP",
      crv: "Ed25519",
      use: "sig",
    });
    expect(keys[0]).not.toHaveProperty("d");
  });

  it("reports ready with both dependencies and exposes the auth metrics", async () => {
    const ready = await h.request("/readyz");
    expect(await ready.json()).toEqual({
      status: "ok",
      checks: { postgres: "ok", redis: "ok", lua_scripting: "ok" },
    });
    await post("/v1/auth/login", { email: "nobody@example.com", password: "wrong password" });
    const text = await (await h.request("/metrics")).text();
    expect(
      metricValue(text, "gomeet_auth_login_failures_total", { service: "auth", reason: "bad_credentials" }),
    ).toBeGreaterThan(0);
    expect(
      metricValue(text, "gomeet_auth_login_failures_total", { service: "auth", reason: "disabled" }),
    ).toBe(1);
    expect(
      metricValue(text, "gomeet_http_requests_total", {
        service: "auth",
        method: "DELETE",
        route: "/v1/sessions/:id",
        status: "204",
      }),
    ).toBeGreaterThan(0);
    expect(metricValue(text, "gomeet_auth_denied_total", { service: "auth", status: "401" })).toBeGreaterThan(
      0,
    );
    expect(metricValue(text, "gomeet_auth_denied_total", { service: "auth", status: "403" })).toBe(1);
    expect(
      metricValue(text, "gomeet_http_request_duration_seconds_bucket", { service: "auth", le: "0.1" }),
    ).toBeGreaterThan(0);
  });
});
