import { createHash, randomBytes, randomUUID } from "node:crypto";
import { ApiError, type Queryable, type Sql } from "../../shared/src/index.ts";
import { type UserRow, userColumns } from "./users.ts";

export interface SessionLifetimes {
  idleSeconds: number;
  absoluteSeconds: number;
}

export interface SessionRow {
  id: string;
  userId: string;
  createdAt: Date;
  lastRefreshedAt: Date;
  idleExpiresAt: Date;
  absoluteExpiresAt: Date;
  userAgent: string | null;
  ip: string | null;
}

/** 256 bits from the CSPRNG (ASVS 7.2.3 asks for at least 128), base64url. */
export function newRefreshToken(): string {
  return randomBytes(32).toString("base64url");
}

/** Refresh tokens are stored as SHA-256 digests: they are random, so a slow KDF adds nothing. */
export function hashRefreshToken(token: string): Buffer {
  return createHash("sha256").update(token).digest();
}

export type RevokeReason =
  | "logout"
  | "ended_by_user"
  | "refresh_token_reuse"
  | "user_disabled"
  | "password_changed"
  | "ended_by_admin";

/** Starts a session (a new refresh-token family) and returns it with its first refresh token. */
export async function startSession(
  sql: Sql,
  input: { userId: string; userAgent: string | undefined; ip: string },
  lifetimes: SessionLifetimes,
): Promise<{ sessionId: string; refreshToken: string }> {
  const sessionId = randomUUID();
  const refreshToken = newRefreshToken();
  await sql.begin(async (tx) => {
    // FOR SHARE conflicts with the row update that disables the user: a login racing a disable either commits
    // its session first (and the disable ends it) or waits and finds the user disabled.
    const [enabled] =
      await tx`select 1 from users where id = ${input.userId} and disabled_at is null for share`;
    if (!enabled) throw new ApiError(403, "account_disabled", "this account is disabled");
    await tx`insert into sessions (id, user_id, idle_expires_at, absolute_expires_at, user_agent, ip)
       values (${sessionId}, ${input.userId},
               now() + make_interval(secs => ${lifetimes.idleSeconds}),
               now() + make_interval(secs => ${lifetimes.absoluteSeconds}),
               ${input.userAgent?.slice(0, 256) ?? null}, ${input.ip})`;
    await tx`insert into refresh_tokens (token_hash, session_id) values (${hashRefreshToken(refreshToken)}, ${sessionId})`;
  });
  return { sessionId, refreshToken };
}

export type RotationOutcome =
  | { kind: "rotated"; userId: string; sessionId: string; refreshToken: string }
  | { kind: "reused" | "disabled"; userId: string; sessionId: string; ended: boolean }
  | { kind: "unknown" | "ended" | "expired" };

/**
 * Exchanges a refresh token for a new one in one transaction. The presented token becomes used; presenting a
 * used token again ends the whole session (family), per ASVS 10.4.5 and RFC 9700 §4.14.2. `beforeRotate`
 * runs inside the transaction once the owner is known (the per-account rate limit); if it throws, nothing
 * changes.
 */
export async function rotateRefreshToken(
  sql: Sql,
  presented: string,
  lifetimes: SessionLifetimes,
  beforeRotate: (userId: string) => Promise<void>,
): Promise<RotationOutcome> {
  const digest = hashRefreshToken(presented);
  return await sql.begin(async (tx): Promise<RotationOutcome> => {
    const [row] = await tx<
      {
        sessionId: string;
        userId: string;
        usedAt: Date | null;
        revokedAt: Date | null;
        expired: boolean;
        disabled: boolean;
      }[]
    >`select t.session_id as "sessionId", s.user_id as "userId", t.used_at as "usedAt", s.revoked_at as "revokedAt",
             (s.idle_expires_at <= now() or s.absolute_expires_at <= now()) as expired,
             (u.disabled_at is not null) as disabled
        from refresh_tokens t join sessions s on s.id = t.session_id join users u on u.id = s.user_id
       where t.token_hash = ${digest}
       for update of t, s`;
    if (!row) return { kind: "unknown" };
    if (row.revokedAt) return { kind: "ended" };
    if (row.usedAt) {
      const ended = await revokeSession(tx, row.sessionId, "refresh_token_reuse");
      return { kind: "reused", userId: row.userId, sessionId: row.sessionId, ended };
    }
    if (row.expired) return { kind: "expired" };
    if (row.disabled) {
      const ended = await revokeSession(tx, row.sessionId, "user_disabled");
      return { kind: "disabled", userId: row.userId, sessionId: row.sessionId, ended };
    }
    await beforeRotate(row.userId);
    const refreshToken = newRefreshToken();
    await tx`update refresh_tokens set used_at = now() where token_hash = ${digest}`;
    await tx`insert into refresh_tokens (token_hash, session_id) values (${hashRefreshToken(refreshToken)}, ${row.sessionId})`;
    await tx`update sessions set last_refreshed_at = now(),
               idle_expires_at = least(now() + make_interval(secs => ${lifetimes.idleSeconds}), absolute_expires_at)
             where id = ${row.sessionId}`;
    return { kind: "rotated", userId: row.userId, sessionId: row.sessionId, refreshToken };
  });
}

/** Ends a session; with `ownerId`, only if that user owns it and it is still open. True when one ended. */
export async function revokeSession(
  sql: Queryable,
  sessionId: string,
  reason: RevokeReason,
  ownerId?: string,
): Promise<boolean> {
  const rows = await sql`update sessions set revoked_at = now(), revoked_reason = ${reason}
    where id = ${sessionId} and ${ownerId ? sql`user_id = ${ownerId} and ${isOpen(sql)}` : sql`revoked_at is null`} returning id`;
  return rows.length > 0;
}

/** Ends every open session of a user except `keep` (the caller's own, after a password change); their ids. */
export async function revokeUserSessions(
  sql: Queryable,
  userId: string,
  reason: RevokeReason,
  keep?: string,
): Promise<string[]> {
  const rows = await sql<{ id: string }[]>`update sessions set revoked_at = now(), revoked_reason = ${reason}
    where user_id = ${userId} and revoked_at is null ${keep ? sql`and id <> ${keep}` : sql``} returning id`;
  return rows.map((row) => row.id);
}

/** A session is open while it has not been ended and is within both its idle and absolute lifetimes. */
const isOpen = (sql: Queryable) =>
  sql`revoked_at is null and idle_expires_at > now() and absolute_expires_at > now()`;

/** Open sessions, most recently refreshed first. */
export async function listOpenSessions(sql: Queryable, userId: string): Promise<SessionRow[]> {
  return await sql<
    SessionRow[]
  >`select id, user_id as "userId", created_at as "createdAt", last_refreshed_at as "lastRefreshedAt",
      idle_expires_at as "idleExpiresAt", absolute_expires_at as "absoluteExpiresAt", user_agent as "userAgent", ip
    from sessions
    where user_id = ${userId} and ${isOpen(sql)}
    order by last_refreshed_at desc`;
}

/**
 * The user of an open session (not ended, within both lifetimes) that belongs to `userId`; undefined when
 * the session is not open. One query per authenticated request at auth.
 */
export async function findOpenSessionUser(
  sql: Queryable,
  sessionId: string,
  userId: string,
): Promise<UserRow | undefined> {
  const [row] = await sql<UserRow[]>`select ${userColumns(sql)} from users
    where id = ${userId} and exists (select 1 from sessions where id = ${sessionId} and user_id = ${userId} and ${isOpen(sql)})`;
  return row;
}
