import { afterAll, beforeAll, expect, inject, it } from "vitest";
import { type MeetingsHarness, startMeetingsHarness } from "./harness.ts";

let h: MeetingsHarness;
beforeAll(async () => {
  h = await startMeetingsHarness(inject("postgresAdminUrl"), "meetings_openapi");
});
afterAll(async () => h.stop());

interface Doc {
  openapi: string;
  paths: Record<string, Record<string, { security?: unknown[]; responses: Record<string, unknown> }>>;
}

it("serves an OpenAPI document that lists exactly the routes the app answers", async () => {
  const doc = (await (await h.request("/openapi.json")).json()) as Doc;
  expect(doc.openapi).toMatch(/^3\./);
  const documented = new Set(
    Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.keys(item).map((m) => `${m.toUpperCase()} ${path}`),
    ),
  );
  const answered = new Set(
    h.service.app.routes
      .filter((r) => r.method !== "ALL")
      .map((r) => `${r.method} ${r.path.replace(/:([^/]+)/g, "{$1}")}`),
  );
  expect(answered.size).toBeGreaterThanOrEqual(33);
  expect([...answered].filter((r) => !documented.has(r))).toEqual([]);
  expect([...documented].filter((o) => !answered.has(o))).toEqual([]);
  for (const op of [
    "POST /v1/meetings/{id}/join",
    "POST /livekit/webhook",
    "POST /v1/invitations/accept",
    "GET /internal/meetings/{id}/members/{userId}",
  ])
    expect(documented).toContain(op);
  for (const [path, item] of Object.entries(doc.paths))
    for (const [method, op] of Object.entries(item))
      if (op.security?.length) expect(Object.keys(op.responses), `${method} ${path}`).toContain("401");
  // Only the gateway's prefixes and the in-cluster routes (docs/gateway.md).
  for (const path of Object.keys(doc.paths))
    expect(path).toMatch(
      /^\/v1\/(meetings|invitations)\b|^\/livekit\/webhook$|^\/internal\/meetings\/\{id\}\/members\/\{userId\}$|^\/(healthz|readyz|metrics|openapi\.json|docs)$/,
    );
});
