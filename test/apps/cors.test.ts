import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type AuthHarness, startAuthHarness } from "../../apps/auth/test/harness.ts";
import { type MeetingsHarness, startMeetingsHarness } from "../../apps/meetings/test/harness.ts";
import { baseEnvSchema, parseEnv } from "../../apps/shared/src/index.ts";

/** The web app's origin as the stack sets it (https://meet.<domain>), and a page somewhere else. */
const APP = "https://meet.gomeet.test";
const OTHER = "https://evil.example";

function preflight(origin: string, method: string, headers: string): RequestInit {
  return {
    method: "OPTIONS",
    headers: { origin, "access-control-request-method": method, "access-control-request-headers": headers },
  };
}

describe("CORS on auth — the web app signs up, signs in and refreshes from its own origin", () => {
  let h: AuthHarness;
  beforeAll(async () => {
    h = await startAuthHarness(inject("postgresAdminUrl"), { corsAllowedOrigin: APP }, "auth_cors");
  }, 60_000);
  afterAll(async () => await h?.stop());

  it("answers the app's preflight with its origin, methods, headers and a cache time, and no credentials", async () => {
    const res = await h.request("/v1/auth/login", preflight(APP, "POST", "content-type"));
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe(APP);
    expect(res.headers.get("access-control-allow-methods")).toContain("POST");
    expect(res.headers.get("access-control-allow-headers")).toBe("authorization, content-type");
    expect(res.headers.get("access-control-max-age")).toBe("600");
    expect(res.headers.get("access-control-allow-credentials")).toBeNull();
    expect(res.headers.get("vary")).toContain("Origin");
  });

  it("marks the answers of the app's requests, errors included, and exposes the headers it reads", async () => {
    const email = `cors-${Date.now()}@example.com`;
    const password = "correct horse battery staple";
    const register = await h.request("/v1/auth/register", {
      method: "POST",
      headers: { origin: APP },
      json: { email, displayName: "Cors", password },
    });
    expect(register.status).toBe(202);
    expect(register.headers.get("access-control-allow-origin")).toBe(APP);
    const login = await h.request("/v1/auth/login", {
      method: "POST",
      headers: { origin: APP },
      json: { email, password },
    });
    expect(login.status).toBe(200);
    expect(login.headers.get("access-control-allow-origin")).toBe(APP);
    expect(login.headers.get("access-control-expose-headers")).toBe("Retry-After, Location, X-Request-Id");
    const { refreshToken, accessToken } = (await login.json()) as {
      refreshToken: string;
      accessToken: string;
    };
    const me = await h.request("/v1/users/me", { headers: { origin: APP }, token: accessToken });
    expect(me.status).toBe(200);
    expect(me.headers.get("access-control-allow-origin")).toBe(APP);
    const refreshed = await h.request("/v1/auth/refresh", {
      method: "POST",
      headers: { origin: APP },
      json: { refreshToken },
    });
    expect(refreshed.status).toBe(200);
    const reused = await h.request("/v1/auth/refresh", {
      method: "POST",
      headers: { origin: APP },
      json: { refreshToken },
    });
    expect(reused.status).toBe(401);
    expect(reused.headers.get("access-control-allow-origin")).toBe(APP);
  });

  it("refuses another origin's preflight and state-changing requests with a problem naming the origin", async () => {
    const pre = await h.request("/v1/auth/login", preflight(OTHER, "POST", "content-type"));
    expect(pre.status).toBe(403);
    expect(pre.headers.get("access-control-allow-origin")).toBeNull();
    const problem = (await pre.json()) as { code: string; detail: string };
    expect(problem.code).toBe("cors_refused");
    expect(problem.detail).toBe(`origin "${OTHER}" is not allowed to call this API (only ${APP})`);
    const before = await h.db.sql<{ n: number }[]>`select count(*)::int as n from users`;
    const post = await h.request("/v1/auth/register", {
      method: "POST",
      headers: { origin: OTHER, "content-type": "text/plain" },
      body: JSON.stringify({ email: "x@example.com", displayName: "X", password: "correct horse battery" }),
    });
    expect(post.status).toBe(403);
    const after = await h.db.sql<{ n: number }[]>`select count(*)::int as n from users`;
    expect(after[0]!.n).toBe(before[0]!.n);
    const get = await h.request("/.well-known/jwks.json", { headers: { origin: OTHER } });
    expect(get.status).toBe(200);
    expect(get.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("refuses a preflight for a header or method the API does not take, saying which", async () => {
    const header = await h.request("/v1/auth/login", preflight(APP, "POST", "content-type, x-debug"));
    expect(header.status).toBe(403);
    expect(((await header.json()) as { detail: string }).detail).toBe(
      'request header "x-debug" is not allowed (expected only authorization, content-type)',
    );
    const method = await h.request("/v1/auth/login", preflight(APP, "TRACE", ""));
    expect(method.status).toBe(403);
  });

  it("leaves requests without an Origin (servers, tools) as they were", async () => {
    const res = await h.request("/.well-known/jwks.json");
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
  });
});

describe("CORS on meetings — over HTTP from the app's origin only", () => {
  let h: MeetingsHarness;
  beforeAll(async () => {
    h = await startMeetingsHarness(inject("postgresAdminUrl"), "meetings_cors", {
      config: { corsAllowedOrigin: APP },
    });
  }, 60_000);
  afterAll(async () => await h?.stop());

  it("schedules a meeting after a preflight, and refuses the same from another origin", async () => {
    const host = await h.user();
    const pre = await fetch(
      `${h.baseUrl}/v1/meetings`,
      preflight(APP, "POST", "authorization, content-type"),
    );
    expect(pre.status).toBe(204);
    expect(pre.headers.get("access-control-allow-origin")).toBe(APP);
    const body = JSON.stringify({
      title: "From the app",
      startsAt: new Date().toISOString(),
      durationMinutes: 30,
      capacity: 10,
    });
    const headers = {
      origin: APP,
      authorization: `Bearer ${host.token}`,
      "content-type": "application/json",
    };
    const created = await fetch(`${h.baseUrl}/v1/meetings`, { method: "POST", headers, body });
    expect(created.status).toBe(201);
    expect(created.headers.get("access-control-allow-origin")).toBe(APP);

    const otherPre = await fetch(`${h.baseUrl}/v1/meetings`, preflight(OTHER, "POST", "authorization"));
    expect(otherPre.status).toBe(403);
    const other = await fetch(`${h.baseUrl}/v1/meetings`, {
      method: "POST",
      headers: { ...headers, origin: OTHER },
      body,
    });
    expect(other.status).toBe(403);
    const [count] = await h.db.sql<{ n: number }[]>`select count(*)::int as n from meetings`;
    expect(count!.n).toBe(1);
  });
});

describe("CORS_ALLOWED_ORIGIN", () => {
  it("takes an origin exactly as browsers send it and names the variable, rule and value otherwise", () => {
    expect(parseEnv(baseEnvSchema, { CORS_ALLOWED_ORIGIN: APP }).CORS_ALLOWED_ORIGIN).toBe(APP);
    expect(parseEnv(baseEnvSchema, {}).CORS_ALLOWED_ORIGIN).toBeUndefined();
    for (const bad of [`${APP}/`, `${APP}/app`, "meet.gomeet.test", "ftp://meet.gomeet.test"]) {
      expect(() => parseEnv(baseEnvSchema, { CORS_ALLOWED_ORIGIN: bad })).toThrow(
        `CORS_ALLOWED_ORIGIN: expected an origin such as https://meet.example.com (scheme and host, no path or trailing slash), got ${JSON.stringify(bad)}`,
      );
    }
  });
});
