import { randomUUID } from "node:crypto";
import { importJWK, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { ISSUER } from "../../auth/test/harness.ts";
import { CHAT_TICKET_AUDIENCE, CHAT_TICKET_TYPE } from "../../shared/src/index.ts";
import { metricValue } from "../../shared/test/metrics-text.ts";
import { ChatClient, type ChatStack, newId, type Replica, startChatStack } from "./harness.ts";

let stack: ChatStack;
let replica: Replica;

beforeAll(async () => {
  stack = await startChatStack(inject("postgresAdminUrl"), "chat_handshake");
  replica = await stack.startReplica();
});
afterAll(async () => {
  await stack?.stop();
});

async function refusal(url: string, origin?: string): Promise<{ status: number; refusal: string }> {
  try {
    const client = await ChatClient.connect(url, origin);
    client.close();
  } catch (error) {
    const e = error as { status?: number; refusal?: string };
    if (e.status) return { status: e.status, refusal: e.refusal ?? "" };
    throw error;
  }
  throw new Error("the upgrade was accepted");
}

/** A ticket signed with auth's real key, with chosen claims (auth itself only signs fresh ones). */
async function forgedTicket(claims: { sub: string; mid: string; exp: number; iat: number }): Promise<string> {
  const jwk = stack.auth.privateJwks.keys[0]!;
  const key = await importJWK(jwk, jwk.alg);
  return await new SignJWT({ roles: ["member"], mid: claims.mid, name: "Forged" })
    .setProtectedHeader({ alg: jwk.alg!, kid: jwk.kid!, typ: CHAT_TICKET_TYPE })
    .setIssuer(ISSUER)
    .setAudience(CHAT_TICKET_AUDIENCE)
    .setSubject(claims.sub)
    .setJti(randomUUID())
    .setIssuedAt(claims.iat)
    .setNotBefore(claims.iat)
    .setExpirationTime(claims.exp)
    .sign(key);
}

describe("handshake refusals happen before the upgrade", () => {
  it("refuses no ticket, an expired ticket, a wrong Origin, a non-member, another meeting's ticket, a reused ticket and an access token", async () => {
    const meetingId = newId();
    const member = await stack.user();
    const outsider = await stack.user();
    stack.members.set(meetingId, member.id, "attendee");

    expect(await refusal(replica.wsUrl({ meetingId }))).toEqual({ status: 401, refusal: "unauthenticated" });

    const now = Math.floor(Date.now() / 1000);
    const expired = await forgedTicket({ sub: member.id, mid: meetingId, iat: now - 120, exp: now - 60 });
    expect(await refusal(replica.wsUrl({ meetingId, ticket: expired }))).toEqual({
      status: 401,
      refusal: "token_expired",
    });

    const ticket = await stack.ticket(member, meetingId);
    expect(await refusal(replica.wsUrl({ meetingId, ticket }), "https://evil.example")).toEqual({
      status: 403,
      refusal: "origin_not_allowed",
    });

    const outsiderTicket = await stack.ticket(outsider, meetingId);
    expect(await refusal(replica.wsUrl({ meetingId, ticket: outsiderTicket }))).toEqual({
      status: 403,
      refusal: "not_a_member",
    });

    const otherMeeting = await stack.ticket(member, newId());
    expect(await refusal(replica.wsUrl({ meetingId, ticket: otherMeeting }))).toEqual({
      status: 403,
      refusal: "ticket_meeting_mismatch",
    });

    expect(await refusal(replica.wsUrl({ meetingId, ticket: member.accessToken }))).toEqual({
      status: 401,
      refusal: "invalid_token",
    });

    expect(await refusal(replica.wsUrl({ meetingId: "not-a-uuid", ticket }))).toEqual({
      status: 422,
      refusal: "validation_failed",
    });

    // The ticket that was refused for its Origin was not consumed; it opens one socket, and only one.
    const ok = await ChatClient.connect(replica.wsUrl({ meetingId, ticket }));
    await ok.waitFor((f) => f.type === "synced");
    expect(await refusal(replica.wsUrl({ meetingId, ticket }))).toEqual({
      status: 401,
      refusal: "ticket_reused",
    });
    ok.close();

    stack.members.failing = true;
    const during = await stack.ticket(member, meetingId);
    expect(await refusal(replica.wsUrl({ meetingId, ticket: during }))).toEqual({
      status: 503,
      refusal: "membership_unavailable",
    });
    stack.members.failing = false;

    const metrics = await (await replica.http("/metrics")).text();
    expect(metricValue(metrics, "gomeet_chat_handshake_refusals_total", { code: "not_a_member" })).toBe(1);
    expect(metricValue(metrics, "gomeet_ws_connections")).toBe(0);
  });

  it("answers a plain HTTP request to the socket path with 426", async () => {
    const res = await replica.http(`/v1/chat/ws?meetingId=${newId()}`, {
      headers: { origin: "https://app.gomeet.test" },
    });
    expect(res.status).toBe(426);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
  });
});
