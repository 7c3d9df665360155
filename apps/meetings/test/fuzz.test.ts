import fc from "fast-check";
import { afterAll, beforeAll, expect, inject, it } from "vitest";
import {
  fieldValues,
  type OpenApiOperation,
  openApiOperations,
  requestBodies,
} from "../../shared/test/fuzz-input.ts";
import {
  addMember,
  type MeetingsHarness,
  scheduleMeeting,
  startMeetingsHarness,
  type User,
} from "./harness.ts";

/**
 * Malformed input to every operation of the OpenAPI document: never a 500, every error is problem+json with a
 * code, no stack trace, no secret (LiveKit API secret, Spaces key, access tokens) in any response or log line.
 * LiveKit is unreachable here on purpose: its failures must be problems too, not 500s.
 */
let h: MeetingsHarness;
let host: User;
let attendee: User;
let meetingIds: string[];
let operations: OpenApiOperation[];

beforeAll(async () => {
  h = await startMeetingsHarness(inject("postgresAdminUrl"), "meetings_fuzz");
  host = await h.user();
  attendee = await h.user();
  const scheduled = await scheduleMeeting(h, host, {
    settings: { recordingAllowed: true, waitingRoom: true },
  });
  const live = await scheduleMeeting(h, host);
  await addMember(h, scheduled.id, host, attendee);
  await h.db.sql`update meetings set state = 'live' where id = ${live.id}`;
  meetingIds = [scheduled.id, live.id];
  operations = openApiOperations(await (await h.request("/openapi.json")).json());
});
afterAll(async () => h.stop());

const fieldValue = fieldValues([
  "meeting",
  "webinar",
  "link",
  "email",
  "manual",
  "balanced",
  "host",
  "attendee",
  "2030-01-01T00:00:00Z",
]);
const bodyOf = (fields: string[]) =>
  requestBodies({
    fields,
    fieldValue,
    contentTypes: ["text/plain", "application/webhook+json", "multipart/form-data; boundary=x", undefined],
    truncatedJson: '{"title":',
    oversizedBytes: 70 * 1024,
    maxKeys: 6,
  });
const pathParam = fc.oneof(
  fc.uuid(),
  fc.constantFrom("meeting:0", "meeting:1"),
  fc.string({ maxLength: 60 }),
  fc.constantFrom("..", "%", "%00", "null", "TR_abc", "-1", "😀"),
);
const query = fc.dictionary(
  fc.constantFrom("limit", "cursor", "state", "x"),
  fc.oneof(
    fc.string({ maxLength: 30 }),
    fc.integer().map(String),
    fc.constantFrom("live", "all", "upcoming"),
  ),
  { maxKeys: 3 },
);
const auth = fc.oneof(
  fc.constant<string | undefined>(undefined),
  fc.constantFrom("host", "attendee"),
  fc.string({ maxLength: 80 }).map((s) => `Bearer ${s}`),
  fc.constantFrom("Bearer", "Basic Zm9vOmJhcg==", "bearer eyJhbGciOiJub25lIn0.e30."),
);

const STACK = /\bat [^\s]+ \(|node_modules|\/work\/|\.ts:\d+|Error: /;
const secrets = () => [h.config.livekit.apiSecret, h.config.recordings.secretKey, host.token, attendee.token];

function fill(path: string, param: string): string {
  return path.replace(/\{[^}]+\}/g, () => {
    const real = /^meeting:(\d)$/.exec(param);
    return encodeURIComponent(real ? (meetingIds[Number(real[1])] as string) : param);
  });
}

async function check(res: Response, what: string): Promise<void> {
  const text = await res.text();
  // 502/503 are the honest answers while LiveKit is unreachable; a 500 is a bug.
  expect([500, 501, 504], `${what} answered ${res.status}: ${text.slice(0, 300)}`).not.toContain(res.status);
  if (res.status >= 400) {
    expect(res.headers.get("content-type"), what).toBe("application/problem+json");
    const body = JSON.parse(text) as { code?: unknown; status?: unknown };
    expect(typeof body.code, what).toBe("string");
    expect(body.status, what).toBe(res.status);
    expect(body.code, what).not.toBe("internal_error");
  }
  expect(text, what).not.toMatch(STACK);
  for (const secret of secrets()) expect(text.includes(secret), `${what} leaked a secret`).toBe(false);
}

it("every operation survives malformed requests", async () => {
  expect(operations.length).toBeGreaterThanOrEqual(30);
  for (const op of operations) {
    await fc.assert(
      fc.asyncProperty(pathParam, query, auth, bodyOf(op.bodyFields), async (param, q, a, body) => {
        const search = new URLSearchParams(q).toString();
        const url = `${fill(op.path, param)}${search ? `?${search}` : ""}`;
        const headers: Record<string, string> = {};
        if (a === "host") headers.authorization = `Bearer ${host.token}`;
        else if (a === "attendee") headers.authorization = `Bearer ${attendee.token}`;
        else if (a !== undefined) headers.authorization = a;
        if (body.contentType) headers["content-type"] = body.contentType;
        const hasBody = op.method !== "GET" && body.body !== undefined;
        await check(
          await h.service.app.request(url, {
            method: op.method,
            headers,
            ...(hasBody ? { body: body.body } : {}),
          }),
          `${op.method} ${url}`,
        );
      }),
      { numRuns: 40 },
    );
  }
  const logs = h.logs.join("\n");
  for (const secret of secrets()) expect(logs.includes(secret)).toBe(false);
  expect(logs).not.toContain('"msg":"unhandled error"');
});
