import { createRoute, z } from "@hono/zod-openapi";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import {
  ApiError,
  createApp,
  createLogger,
  createRouter,
  createTokenVerifier,
  problemResponseSpec,
  requireAuth,
  requireRole,
} from "../src/index.ts";
import { metricValue } from "./metrics-text.ts";

function makeApp(readiness: { name: string; check: () => Promise<unknown> }[] = []) {
  const logs: string[] = [];
  const service = createApp({
    service: "demo",
    logger: createLogger({ service: "demo", sink: (l) => logs.push(l) }),
    readiness,
    bodyLimitBytes: 1024,
  });
  const router = createRouter();
  router.openapi(
    createRoute({
      method: "post",
      path: "/v1/things/{id}",
      request: {
        params: z.object({ id: z.string().regex(/^\d+$/, { error: "expected digits" }) }),
        body: {
          content: {
            "application/json": {
              schema: z.object({ name: z.string().min(2), tags: z.array(z.string()).max(2) }),
            },
          },
          required: true,
        },
      },
      responses: {
        200: { description: "ok", content: { "application/json": { schema: z.object({ id: z.string() }) } } },
        422: problemResponseSpec("bad"),
      },
    }),
    (c) => c.json({ id: c.req.valid("param").id }, 200),
  );
  router.get("/v1/boom", () => {
    throw new Error("database password is hunter2");
  });
  router.get("/v1/teapot", () => {
    throw new ApiError(409, "already_brewing", "the pot is busy");
  });
  service.app.route("/", router);
  return { ...service, logs };
}

const problemOf = async (res: Response) => {
  expect(res.headers.get("content-type")).toBe("application/problem+json");
  return (await res.json()) as Record<string, unknown>;
};

describe("createApp", () => {
  it("answers with a request id, echoing a well-formed incoming one", async () => {
    const { app } = makeApp();
    expect((await app.request("/healthz")).headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    expect(
      (await app.request("/healthz", { headers: { "x-request-id": "abc-123" } })).headers.get("x-request-id"),
    ).toBe("abc-123");
    expect(
      (await app.request("/healthz", { headers: { "x-request-id": "bad id<script>" } })).headers.get(
        "x-request-id",
      ),
    ).not.toContain("<");
  });

  it("writes one JSON log line per request with the request id and route pattern", async () => {
    const { app, logs } = makeApp();
    await app.request("/v1/things/42", {
      method: "POST",
      headers: { "content-type": "application/json", "x-request-id": "req-1" },
      body: '{"name":"ab","tags":[]}',
    });
    const line = JSON.parse(logs.at(-1) as string);
    expect(line).toMatchObject({
      level: "info",
      service: "demo",
      msg: "request",
      requestId: "req-1",
      method: "POST",
      route: "/v1/things/:id",
      path: "/v1/things/42",
      status: 200,
    });
  });

  it("turns validation failures into 422 problems naming each field", async () => {
    const { app } = makeApp();
    const res = await app.request("/v1/things/x", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"name":"a","tags":["1","2","3"]}',
    });
    expect(res.status).toBe(422);
    const body = await problemOf(res);
    expect(body).toMatchObject({
      code: "validation_failed",
      status: 422,
      errors: [{ field: "id", message: "expected digits" }],
    });
    const bodyRes = await app.request("/v1/things/1", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"name":"a","tags":["1","2","3"]}',
    });
    expect(((await problemOf(bodyRes)).errors as { field: string }[]).map((e) => e.field)).toEqual([
      "name",
      "tags",
    ]);
  });

  it("hides unexpected errors: a 500 problem without message or stack, the details only in the log", async () => {
    const { app, logs } = makeApp();
    const res = await app.request("/v1/boom", { headers: { "x-request-id": "boom-1" } });
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(JSON.parse(text)).toMatchObject({ code: "internal_error", requestId: "boom-1" });
    expect(text).not.toMatch(/hunter2|at |\.ts/);
    const errorLine = logs.map((l) => JSON.parse(l)).find((l) => l.level === "error");
    expect(errorLine).toMatchObject({
      requestId: "boom-1",
      msg: "unhandled error",
      error: { message: "database password is hunter2" },
    });
  });

  it("maps ApiError, unknown routes, bad JSON and oversized bodies to problems with stable codes", async () => {
    const { app } = makeApp();
    expect(await problemOf(await app.request("/v1/teapot"))).toMatchObject({
      status: 409,
      code: "already_brewing",
      detail: "the pot is busy",
    });
    expect(await problemOf(await app.request("/nope"))).toMatchObject({ status: 404, code: "not_found" });
    const json = { "content-type": "application/json" };
    expect(
      await problemOf(await app.request("/v1/things/1", { method: "POST", headers: json, body: "{" })),
    ).toMatchObject({ status: 400, code: "malformed_body" });
    expect(
      await problemOf(
        await app.request("/v1/things/1", {
          method: "POST",
          headers: json,
          body: JSON.stringify({ name: "x".repeat(2000) }),
        }),
      ),
    ).toMatchObject({
      status: 413,
      code: "body_too_large",
    });
  });

  it("readyz checks every dependency, reports which failed, and answers 503 while draining", async () => {
    const ok = makeApp([{ name: "postgres", check: async () => 1 }]);
    expect((await ok.app.request("/readyz")).status).toBe(200);
    ok.lifecycle.draining = true;
    expect(await (await ok.app.request("/readyz")).json()).toEqual({ status: "draining" });
    const slow = makeApp([
      { name: "postgres", check: async () => 1 },
      { name: "redis", check: () => new Promise(() => undefined) },
      { name: "broken", check: async () => Promise.reject(new Error("ECONNREFUSED")) },
    ]);
    const res = await slow.app.request("/readyz");
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({
      status: "unavailable",
      checks: { postgres: "ok", redis: "unavailable", broken: "unavailable" },
    });
    expect((await slow.app.request("/healthz")).status).toBe(200);
  }, 10_000);

  it("exposes gomeet_http_* with the route pattern, never the raw path", async () => {
    const { app } = makeApp();
    for (const id of ["1", "2", "3"]) {
      await app.request(`/v1/things/${id}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: '{"name":"ab","tags":[]}',
      });
    }
    await app.request("/random/404/path");
    const text = await (await app.request("/metrics")).text();
    expect(text).toContain(
      'gomeet_http_requests_total{method="POST",route="/v1/things/:id",status="200",service="demo"} 3',
    );
    expect(text).toContain(
      'gomeet_http_requests_total{method="GET",route="unmatched",status="404",service="demo"} 1',
    );
    const series = { service: "demo", method: "POST", route: "/v1/things/:id" };
    expect(metricValue(text, "gomeet_http_request_duration_seconds_count", series)).toBe(3);
    expect(metricValue(text, "gomeet_http_request_duration_seconds_bucket", { ...series, le: "+Inf" })).toBe(
      3,
    );
    const buckets = [
      ...text.matchAll(
        /gomeet_http_request_duration_seconds_bucket\{le="([^"]+)",service="demo",method="POST"/g,
      ),
    ].map((m) => m[1]);
    expect(buckets).toEqual([
      "0.005",
      "0.01",
      "0.025",
      "0.05",
      "0.1",
      "0.25",
      "0.5",
      "1",
      "2.5",
      "5",
      "10",
      "+Inf",
    ]);
    expect(text).not.toContain("/random/404/path");
    expect(text).toContain("process_cpu_seconds_total");
  });

  it("lists its operations routes in the OpenAPI document", async () => {
    const { app } = makeApp();
    const doc = (await (await app.request("/openapi.json")).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toEqual([
      "/healthz",
      "/readyz",
      "/metrics",
      "/openapi.json",
      "/docs",
      "/v1/things/{id}",
    ]);
  });
});

describe("requireAuth and requireRole", () => {
  it("sets the principal, refuses bad tokens with 401 and missing roles with 403, and counts both", async () => {
    const { publicKey, privateKey } = await generateKeyPair("ES256");
    const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid: "k1", alg: "ES256" }] };
    const verifier = createTokenVerifier({ jwks, issuer: "https://auth.test", audience: "gomeet" });
    const { app } = makeApp();
    const guarded = createRouter();
    guarded.get("/v1/admin-only", requireAuth(verifier), requireRole("admin"), (c) =>
      c.json({ sub: c.get("principal").subject }),
    );
    app.route("/", guarded);
    const sign = (roles: string[]) =>
      new SignJWT({ roles })
        .setProtectedHeader({ alg: "ES256", kid: "k1", typ: "at+jwt" })
        .setIssuer("https://auth.test")
        .setAudience("gomeet")
        .setSubject("u1")
        .setJti("j1")
        .setIssuedAt()
        .setNotBefore("0s")
        .setExpirationTime("1m")
        .sign(privateKey);
    const call = async (token?: string) =>
      app.request("/v1/admin-only", token ? { headers: { authorization: `Bearer ${token}` } } : {});
    expect(await (await call(await sign(["admin"]))).json()).toEqual({ sub: "u1" });
    expect((await call(await sign(["member"]))).status).toBe(403);
    expect((await call()).status).toBe(401);
    expect((await call("nonsense")).status).toBe(401);
    const text = await (await app.request("/metrics")).text();
    expect(text).toContain('gomeet_auth_denied_total{status="403",service="demo"} 1');
    expect(text).toContain('gomeet_auth_denied_total{status="401",service="demo"} 2');
  });
});
