import type { MiddlewareHandler } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { Redis } from "ioredis";
import { ApiError, type AppEnv, type TokenVerifier } from "../../shared/src/index.ts";
import { type MeetingRole, type MembershipClient, MembershipUnavailable } from "./membership.ts";

export interface SocketGrant {
  meetingId: string;
  userId: string;
  name: string;
  role: MeetingRole;
  lastSeq: number | undefined;
  /** The auth session the ticket was issued under (its end closes the socket). */
  sessionId: string | undefined;
  /** The ticket's `iat`: the socket is re-checked against the revocations when it opens. */
  issuedAt: number;
}

export type ChatAppEnv = AppEnv & { Variables: AppEnv["Variables"] & { grant: SocketGrant } };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The upgrade response carries no body (the adapter answers the raw socket with the status alone), so every
 * refusal also names its problem code in `X-Chat-Refusal`.
 */
function refuse(
  status: ContentfulStatusCode,
  code: string,
  detail: string,
  headers: Record<string, string> = {},
): never {
  throw new ApiError(status, code, detail, { headers: { "x-chat-refusal": code, ...headers } });
}

export interface HandshakeOptions {
  verifier: TokenVerifier;
  membership: MembershipClient;
  redis: Redis;
  allowedOrigins: readonly string[];
  isDraining: () => boolean;
  onRefused: (code: string) => void;
}

/**
 * Everything that must hold before a socket is accepted, checked on the HTTP upgrade request so a refusal is
 * an HTTP status, never an open-then-closed socket (the ws README, "Client authentication",
 * https://github.com/websockets/ws#client-authentication, refuses the upgrade the same way): not draining,
 * Origin on the allow-list, a valid single-use chat ticket for this meeting, and membership of the meeting.
 */
export function socketHandshake(options: HandshakeOptions): MiddlewareHandler<ChatAppEnv> {
  return async (c, next) => {
    try {
      if (options.isDraining()) refuse(503, "draining", "this replica is shutting down: connect again");
      if (c.req.header("upgrade")?.toLowerCase() !== "websocket") {
        refuse(426, "upgrade_required", "this endpoint speaks WebSocket only", { upgrade: "websocket" });
      }
      const origin = c.req.header("origin");
      if (!origin || !options.allowedOrigins.includes(origin)) {
        refuse(
          403,
          "origin_not_allowed",
          origin ? "Origin: not on the allow-list" : "Origin: header is required",
        );
      }
      const meetingId = c.req.query("meetingId") ?? "";
      if (!UUID.test(meetingId)) refuse(422, "validation_failed", "meetingId: expected a lowercase UUID");
      const lastSeqText = c.req.query("lastSeq");
      let lastSeq: number | undefined;
      if (lastSeqText !== undefined) {
        lastSeq = Number(lastSeqText);
        if (!/^\d{1,15}$/.test(lastSeqText) || !Number.isSafeInteger(lastSeq)) {
          refuse(422, "validation_failed", "lastSeq: expected a non-negative integer");
        }
      }
      const ticket = c.req.query("ticket");
      if (!ticket)
        refuse(401, "unauthenticated", "ticket: a chat ticket from POST /v1/chat-tickets is required");
      let principal: Awaited<ReturnType<TokenVerifier["verify"]>>;
      try {
        principal = await options.verifier.verify(ticket);
      } catch (error) {
        if (error instanceof ApiError)
          refuse(error.status as ContentfulStatusCode, error.code, error.detail, error.headers);
        throw error;
      }
      if (principal.claims.mid !== meetingId) {
        refuse(403, "ticket_meeting_mismatch", "ticket: issued for another meeting");
      }
      const membership = await options.membership.lookup(meetingId, principal.subject).catch((error) => {
        if (error instanceof MembershipUnavailable) {
          refuse(503, "membership_unavailable", "meeting membership cannot be checked right now", {
            "retry-after": "1",
          });
        }
        throw error;
      });
      if (!membership.member) refuse(403, "not_a_member", "you are not a participant of this meeting");
      // Single use: a ticket copied out of a URL or a log cannot open a second socket.
      const ttl = Math.max(1, principal.expiresAt - Math.floor(Date.now() / 1000) + 5);
      const fresh = await options.redis.set(`gomeet:chat:ticket:${principal.tokenId}`, "1", "EX", ttl, "NX");
      if (fresh !== "OK") refuse(401, "ticket_reused", "ticket: already used; ask auth for a new one");
      const name = typeof principal.claims.name === "string" ? principal.claims.name : "participant";
      c.set("grant", {
        meetingId,
        userId: principal.subject,
        name,
        role: membership.role,
        lastSeq,
        sessionId: principal.sessionId,
        issuedAt: principal.issuedAt,
      });
    } catch (error) {
      if (error instanceof ApiError) options.onRefused(error.code);
      throw error;
    }
    await next();
  };
}
