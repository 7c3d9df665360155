import fc from "fast-check";
import { afterAll, beforeAll, expect, inject, it } from "vitest";
import {
  fieldValues,
  type OpenApiOperation,
  openApiOperations,
  requestBodies,
} from "../../shared/test/fuzz-input.ts";
import { type AuthHarness, type SignedInUser, signUp, startAuthHarness } from "./harness.ts";

/**
 * Malformed input to every operation of the OpenAPI document: never a 500, every error is problem+json, no
 * stack trace and no secret in any response or in any log line the service wrote (all captured).
 */
let h: AuthHarness;
let admin: SignedInUser;
let member: SignedInUser;
let operations: OpenApiOperation[];

beforeAll(async () => {
  h = await startAuthHarness(inject("postgresAdminUrl"), {}, "auth_fuzz");
  admin = await signUp(h, { admin: true });
  member = await signUp(h);
  operations = openApiOperations(await (await h.request("/openapi.json")).json());
});
afterAll(async () => h.stop());

const fieldValue = fieldValues();
const bodyOf = (fields: string[]) =>
  requestBodies({
    fields,
    fieldValue,
    contentTypes: [
      "application/json; charset=utf-8",
      "text/plain",
      "application/x-www-form-urlencoded",
      "multipart/form-data; boundary=xyz",
      "application/merge-patch+json",
      undefined,
    ],
    truncatedJson: '{"email":',
    oversizedBytes: 70 * 1024,
  });

const pathParam = fc.oneof(
  fc.uuid(),
  fc.string({ maxLength: 60 }),
  fc.constantFrom("..", "%", "%00", "null", "0", "-1", "😀"),
);
const query = fc.dictionary(
  fc.constantFrom("limit", "cursor", "x", "__proto__"),
  fc.oneof(fc.string({ maxLength: 30 }), fc.integer().map(String)),
  {
    maxKeys: 3,
  },
);
const auth = fc.oneof(
  fc.constant<string | undefined>(undefined),
  fc.constant("admin"),
  fc.constant("member"),
  fc.string({ maxLength: 80 }).map((s) => `Bearer ${s}`),
  fc.constantFrom("Bearer", "Basic Zm9vOmJhcg==", "bearer eyJhbGciOiJub25lIn0.e30."),
);
const forwardedFor = fc.oneof(fc.ipV4(), fc.ipV6(), fc.string({ maxLength: 40 }));

function fill(path: string, param: string): string {
  return path.replace(/\{[^}]+\}/g, encodeURIComponent(param));
}

const STACK = /\bat [^\s]+ \(|node_modules|\/work\/|\.ts:\d+|Error: /;

function secrets(): string[] {
  const key = h.privateJwks.keys[0]?.d as string;
  return [
    key,
    admin.password,
    member.password,
    admin.refreshToken,
    member.refreshToken,
    admin.accessToken,
    member.accessToken,
  ];
}

async function send(
  method: string,
  url: string,
  authValue: string | undefined,
  xff: string,
  body: { contentType: string | undefined; body: string | undefined },
) {
  const headers: Record<string, string> = { "x-forwarded-for": xff };
  if (authValue === "admin") headers.authorization = `Bearer ${admin.accessToken}`;
  else if (authValue === "member") headers.authorization = `Bearer ${member.accessToken}`;
  else if (authValue !== undefined) headers.authorization = authValue;
  if (body.contentType) headers["content-type"] = body.contentType;
  const hasBody = method !== "GET" && method !== "HEAD" && body.body !== undefined;
  return await h.service.app.request(url, { method, headers, ...(hasBody ? { body: body.body } : {}) });
}

const statusesSeen = new Map<string, Set<number>>();

async function checkResponse(res: Response, what: string, op = "other"): Promise<void> {
  const text = await res.text();
  statusesSeen.set(op, (statusesSeen.get(op) ?? new Set()).add(res.status));
  expect(res.status, `${what} answered ${res.status}: ${text.slice(0, 300)}`).toBeLessThan(500);
  if (res.status >= 400) {
    expect(res.headers.get("content-type"), what).toBe("application/problem+json");
    const body = JSON.parse(text) as { code?: unknown; status?: unknown };
    expect(typeof body.code, what).toBe("string");
    expect(body.status, what).toBe(res.status);
  }
  expect(text, what).not.toMatch(STACK);
  for (const secret of secrets()) expect(text.includes(secret), `${what} leaked a secret`).toBe(false);
}

it("every operation survives malformed requests", async () => {
  expect(operations.length).toBeGreaterThanOrEqual(18);
  const sentPasswords = new Set<string>();
  for (const op of operations) {
    // Logout with a real token would end the fixture sessions; logout is exercised with bad tokens only.
    const authArb =
      op.path === "/v1/auth/logout" ? auth.filter((a) => a !== "admin" && a !== "member") : auth;
    await fc.assert(
      fc.asyncProperty(
        pathParam,
        query,
        authArb,
        forwardedFor,
        bodyOf(op.bodyFields),
        async (param, q, a, xff, body) => {
          if (body.body)
            for (const m of body.body.matchAll(
              /"(?:password|currentPassword|newPassword|refreshToken)":"([^"]{12,})"/g,
            ))
              sentPasswords.add(m[1] as string);
          const search = new URLSearchParams(q).toString();
          const url = `${fill(op.path, param)}${search ? `?${search}` : ""}`;
          await checkResponse(
            await send(op.method, url, a, xff, body),
            `${op.method} ${url}`,
            `${op.method} ${op.path}`,
          );
        },
      ),
      { numRuns: 60 },
    );
  }
  // Unknown paths and methods are problems too.
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"),
      fc.webPath(),
      async (method, path) => {
        await checkResponse(
          await send(method, `/v1${path}`, undefined, "192.0.2.9", {
            contentType: undefined,
            body: undefined,
          }),
          `${method} /v1${path}`,
        );
      },
    ),
    { numRuns: 100 },
  );

  // The fuzzer got past authentication everywhere it could (a real token was sent), not only to 401s.
  for (const op of operations.filter((o) => o.path !== "/v1/auth/logout")) {
    const seen = [...(statusesSeen.get(`${op.method} ${op.path}`) ?? [])];
    expect(
      seen.some((s) => s !== 401 && s !== 413),
      `${op.method} ${op.path} only saw ${seen}`,
    ).toBe(true);
  }
  expect(h.logs.length).toBeGreaterThan(1000);
  const forbidden = [...secrets(), ...sentPasswords];
  for (const line of h.logs) {
    const entry = JSON.parse(line) as { level: string };
    expect(entry.level, line).not.toBe("error");
    for (const secret of forbidden)
      expect(line.includes(secret), `log line leaked a secret: ${line.slice(0, 200)}`).toBe(false);
  }
}, 240_000);
