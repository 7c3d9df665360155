import { afterAll, beforeAll, expect, inject, it } from "vitest";
import { type AuthHarness, startAuthHarness } from "./harness.ts";

let h: AuthHarness;
beforeAll(async () => {
  h = await startAuthHarness(inject("postgresAdminUrl"), {}, "auth_openapi");
});
afterAll(async () => h.stop());

/** "GET /v1/sessions/{id}" for every route the Hono app answers (middleware entries are method ALL). */
function appOperations(): Set<string> {
  return new Set(
    h.service.app.routes
      .filter((r) => r.method !== "ALL")
      .map((r) => `${r.method} ${r.path.replace(/:([^/]+)/g, "{$1}")}`),
  );
}

async function documentOperations(): Promise<{
  doc: { openapi: string; paths: Record<string, Record<string, unknown>> };
  ops: Set<string>;
}> {
  const res = await h.request("/openapi.json");
  expect(res.status).toBe(200);
  const doc = (await res.json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
  return {
    doc,
    ops: new Set(
      Object.entries(doc.paths).flatMap(([path, item]) =>
        Object.keys(item).map((m) => `${m.toUpperCase()} ${path}`),
      ),
    ),
  };
}

it("serves an OpenAPI document that lists exactly the routes the app answers", async () => {
  const { doc, ops } = await documentOperations();
  expect(doc.openapi).toMatch(/^3\./);
  const routes = appOperations();
  expect(routes.size).toBeGreaterThanOrEqual(21);
  expect([...routes].filter((r) => !ops.has(r))).toEqual([]);
  expect([...ops].filter((o) => !routes.has(o))).toEqual([]);
});

it("documents the bearer scheme, the problem schema and every protected operation's 401", async () => {
  const res = await h.request("/openapi.json");
  const doc = (await res.json()) as {
    components: { securitySchemes: Record<string, unknown>; schemas: Record<string, unknown> };
    paths: Record<string, Record<string, { security?: unknown[]; responses: Record<string, unknown> }>>;
  };
  expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: "http", scheme: "bearer" });
  expect(doc.components.schemas.Problem).toBeDefined();
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (op.security?.length) expect(Object.keys(op.responses), `${method} ${path}`).toContain("401");
    }
  }
});

it("serves a docs page naming every operation", async () => {
  const res = await h.request("/docs");
  expect(res.headers.get("content-type")).toContain("text/html");
  const html = await res.text();
  const { ops } = await documentOperations();
  for (const op of ops) expect(html).toContain(op);
  expect(html).not.toContain("<script");
});
