import type { Redis } from "ioredis";
import type { ReadinessCheck } from "./app.ts";
import { appendEvent, StreamFollower } from "./event-stream.ts";
import type { Logger } from "./logger.ts";

/** The stream auth appends session ends and account disables to; every token verifier follows it. */
export const ACCESS_EVENTS_STREAM = "gomeet:events:access";

/** How far a verifier's clock may be behind the issuer's before a token's `iat` counts as "in the future". */
export const MAX_CLOCK_SKEW_SECONDS = 60;

/**
 * The longest an access token can live: auth's AUTH_ACCESS_TOKEN_TTL_SECONDS is capped at 3600 s
 * (apps/auth/src/config.ts), plus the skew. A revocation older than this can no longer match a live token, so
 * the stream keeps this window and a starting verifier reads exactly this much back.
 */
export const REVOCATION_WINDOW_SECONDS = 3600 + MAX_CLOCK_SKEW_SECONDS;

/**
 * `session_ended`: every token carrying `sid` = sessionId is refused (logout, a session ended by its user or an
 * admin, refresh-token reuse, a password change ending the other sessions). `user_disabled`: every token of
 * the user issued at or before `at` (epoch seconds) is refused; tokens issued after a later re-enable pass.
 */
export type AccessEvent =
  | { kind: "session_ended"; sessionId: string; userId: string; at: number }
  | { kind: "user_disabled"; userId: string; at: number };

export async function publishAccessEvent(redis: Redis, event: AccessEvent): Promise<void> {
  await appendEvent(redis, ACCESS_EVENTS_STREAM, event, REVOCATION_WINDOW_SECONDS * 1000);
}

function parseAccessEvent(raw: Record<string, unknown>): AccessEvent | undefined {
  const { kind, sessionId, userId, at } = raw;
  if (typeof userId !== "string" || typeof at !== "number") return undefined;
  if (kind === "session_ended" && typeof sessionId === "string") return { kind, sessionId, userId, at };
  if (kind === "user_disabled") return { kind, userId, at };
  return undefined;
}

/** Why a token is refused although its signature and claims are fine. */
export interface Revocation {
  code: "session_ended" | "account_disabled";
  detail: string;
}

/** What the deny list needs from a verified token. */
export interface RevocableToken {
  subject: string;
  sessionId: string | undefined;
  issuedAt: number;
}

/**
 * The in-memory deny list of one process, fed by the access-event stream: session ids and (user, disabled-at)
 * pairs, each dropped once no token it could match is still alive (REVOCATION_WINDOW_SECONDS).
 */
export class RevocationList {
  private readonly sessions = new Map<string, number>();
  private readonly users = new Map<string, { at: number; until: number }>();
  private readonly listeners = new Set<(event: AccessEvent) => void>();
  private follower: StreamFollower | undefined;
  private lastPrune = 0;

  /** Applies one event (the stream follower calls this; tests may too). */
  apply(event: AccessEvent): void {
    const until = event.at + REVOCATION_WINDOW_SECONDS;
    if (event.kind === "session_ended") this.sessions.set(event.sessionId, until);
    else {
      const known = this.users.get(event.userId);
      if (!known || known.at < event.at) this.users.set(event.userId, { at: event.at, until });
    }
    this.prune();
    for (const listener of this.listeners) listener(event);
  }

  /** The reason to refuse `token`, or undefined when nothing revoked it. */
  check(token: RevocableToken): Revocation | undefined {
    const now = Date.now() / 1000;
    if (token.sessionId) {
      const until = this.sessions.get(token.sessionId);
      if (until !== undefined && until > now)
        return { code: "session_ended", detail: "the session of this token has ended" };
    }
    const user = this.users.get(token.subject);
    if (user && user.until > now && token.issuedAt <= user.at)
      return { code: "account_disabled", detail: "this account is disabled" };
    return undefined;
  }

  /** Called for each event after it is applied (chat closes the sockets of an ended session). */
  onEvent(listener: (event: AccessEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Follows auth's stream, reading back the window that can still match a live token. */
  follow(options: { connection: Redis; logger?: Logger }): StreamFollower {
    this.follower ??= new StreamFollower({
      connection: options.connection,
      stream: ACCESS_EVENTS_STREAM,
      replayMs: REVOCATION_WINDOW_SECONDS * 1000,
      onEvent: (raw) => {
        const event = parseAccessEvent(raw);
        if (event) this.apply(event);
      },
      ...(options.logger ? { logger: options.logger } : {}),
    });
    void this.follower.start().catch(() => undefined);
    return this.follower;
  }

  /** `/readyz`: a replica that has not read the revocations yet would accept revoked tokens. */
  readiness(): ReadinessCheck {
    if (!this.follower) throw new Error("RevocationList.readiness: call follow() first");
    return this.follower.readiness("revocations");
  }

  async stop(): Promise<void> {
    await this.follower?.stop();
  }

  private prune(): void {
    const now = Date.now() / 1000;
    if (now - this.lastPrune < 10) return;
    this.lastPrune = now;
    for (const [id, until] of this.sessions) if (until <= now) this.sessions.delete(id);
    for (const [id, entry] of this.users) if (entry.until <= now) this.users.delete(id);
  }
}
