import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { ACCESS_EVENTS_STREAM } from "../../shared/src/index.ts";
import { type AuthHarness, type SignedInUser, signIn, signUp, startAuthHarness } from "./harness.ts";

/** Session ends and account disables reach the access-event stream the other services follow. */
let h: AuthHarness;
beforeAll(async () => {
  h = await startAuthHarness(inject("postgresAdminUrl"), {}, "auth_access_events");
});
afterAll(async () => {
  await h.stop();
});

type Published = Record<string, unknown>;

/** The events appended after `since` (a stream id), oldest first. */
async function eventsSince(since: string): Promise<Published[]> {
  const entries = (await h.redis.call("XRANGE", ACCESS_EVENTS_STREAM, `(${since}`, "+")) as [
    string,
    string[],
  ][];
  return entries.map(([, fields]) => JSON.parse(fields[1] ?? "null") as Published);
}

async function streamHead(): Promise<string> {
  const [newest] = (await h.redis.call("XREVRANGE", ACCESS_EVENTS_STREAM, "+", "-", "COUNT", "1")) as [
    string,
    string[],
  ][];
  return newest?.[0] ?? "0-0";
}

const post = (path: string, token: string, json?: unknown) =>
  h.request(path, { method: "POST", token, ...(json !== undefined ? { json } : {}) });

describe("auth publishes what ends tokens early", () => {
  let user: SignedInUser;
  beforeAll(async () => {
    user = await signUp(h);
  });

  it("logout: session_ended for the token's session, once", async () => {
    const since = await streamHead();
    const before = Math.floor(Date.now() / 1000);
    expect((await post("/v1/auth/logout", user.accessToken)).status).toBe(204);
    const events = await eventsSince(since);
    expect(events).toEqual([
      { kind: "session_ended", sessionId: user.sessionId, userId: user.id, at: expect.any(Number) },
    ]);
    expect(events[0]?.at as number).toBeGreaterThanOrEqual(before);
  });

  it("ending one's own session by id, and a password change ending the others", async () => {
    const a = await signIn(h, user.email, user.password);
    const b = await signIn(h, user.email, user.password);
    const c = await signIn(h, user.email, user.password);
    let since = await streamHead();
    expect(
      (await h.request(`/v1/sessions/${b.sessionId}`, { method: "DELETE", token: a.accessToken })).status,
    ).toBe(204);
    expect(await eventsSince(since)).toEqual([
      expect.objectContaining({ kind: "session_ended", sessionId: b.sessionId }),
    ]);

    since = await streamHead();
    const changed = await post("/v1/users/me/password", a.accessToken, {
      currentPassword: user.password,
      newPassword: `${user.password} and more`,
    });
    expect(changed.status).toBe(204);
    const ended = (await eventsSince(since)).map((e) => e.sessionId);
    expect(ended).toEqual([c.sessionId]);
  });

  it("refresh-token reuse ends the session and says so", async () => {
    const other = await signUp(h);
    const first = await h.request("/v1/auth/refresh", {
      method: "POST",
      json: { refreshToken: other.refreshToken },
    });
    expect(first.status).toBe(200);
    const since = await streamHead();
    const reuse = await h.request("/v1/auth/refresh", {
      method: "POST",
      json: { refreshToken: other.refreshToken },
    });
    expect(reuse.status).toBe(401);
    expect(await eventsSince(since)).toEqual([
      { kind: "session_ended", sessionId: other.sessionId, userId: other.id, at: expect.any(Number) },
    ]);
  });

  it("an admin disabling a user: user_disabled and every open session ended; ending all sessions by an admin", async () => {
    const admin = await signUp(h, { admin: true });
    const target = await signUp(h);
    const second = await signIn(h, target.email, target.password);
    let since = await streamHead();
    expect((await post(`/v1/admin/users/${target.id}/disable`, admin.accessToken)).status).toBe(200);
    const events = await eventsSince(since);
    expect(events[0]).toEqual({ kind: "user_disabled", userId: target.id, at: expect.any(Number) });
    expect(new Set(events.slice(1).map((e) => e.sessionId))).toEqual(
      new Set([target.sessionId, second.sessionId]),
    );

    const third = await signUp(h);
    since = await streamHead();
    expect(
      (
        await h.request(`/v1/admin/users/${third.id}/sessions`, {
          method: "DELETE",
          token: admin.accessToken,
        })
      ).status,
    ).toBe(204);
    expect((await eventsSince(since)).map((e) => e.sessionId)).toEqual([third.sessionId]);
  });

  it("chat tickets carry the session they were asked for under", async () => {
    const someone = await signUp(h);
    const res = await post("/v1/chat-tickets", someone.accessToken, { meetingId: crypto.randomUUID() });
    expect(res.status).toBe(201);
    const { ticket } = (await res.json()) as { ticket: string };
    expect(decodeJwt(ticket).sid).toBe(someone.sessionId);
  });
});
