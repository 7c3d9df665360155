import { createHash, randomBytes } from "node:crypto";
import { ApiError, type Queryable } from "../../shared/src/index.ts";
import type { InvitableRole } from "./meeting-roles.ts";

export interface InvitationRow {
  id: string;
  meetingId: string;
  kind: "email" | "link";
  email: string | null;
  role: InvitableRole;
  maxUses: number;
  uses: number;
  expiresAt: Date;
  revokedAt: Date | null;
  createdBy: string;
  createdAt: Date;
}

const COLUMNS = `id, meeting_id as "meetingId", kind, email, role, max_uses as "maxUses", uses,
  expires_at as "expiresAt", revoked_at as "revokedAt", created_by as "createdBy", created_at as "createdAt"`;

/** 32 random bytes, base64url: the code is a bearer secret (sent by email or shared as a link). */
export function newInvitationCode(): string {
  return randomBytes(32).toString("base64url");
}

const hashCode = (code: string) => createHash("sha256").update(code).digest();

export async function insertInvitation(
  sql: Queryable,
  invitation: {
    meetingId: string;
    kind: "email" | "link";
    email: string | null;
    role: InvitableRole;
    maxUses: number;
    expiresAt: Date;
    createdBy: string;
  },
  code: string,
): Promise<InvitationRow> {
  const [row] = await sql.unsafe<InvitationRow[]>(
    `insert into invitations (meeting_id, kind, email, role, max_uses, expires_at, created_by, code_hash)
     values ($1, $2, $3, $4, $5, $6, $7, $8) returning ${COLUMNS}`,
    [
      invitation.meetingId,
      invitation.kind,
      invitation.email,
      invitation.role,
      invitation.maxUses,
      invitation.expiresAt,
      invitation.createdBy,
      hashCode(code),
    ] as never[],
  );
  return row!;
}

export async function listInvitations(sql: Queryable, meetingId: string): Promise<InvitationRow[]> {
  return await sql.unsafe<InvitationRow[]>(
    `select ${COLUMNS} from invitations where meeting_id = $1 order by created_at, id`,
    [meetingId],
  );
}

export async function revokeInvitation(
  sql: Queryable,
  meetingId: string,
  id: string,
): Promise<InvitationRow | undefined> {
  const [row] = await sql.unsafe<InvitationRow[]>(
    `update invitations set revoked_at = coalesce(revoked_at, now()) where meeting_id = $1 and id = $2
     returning ${COLUMNS}`,
    [meetingId, id],
  );
  return row;
}

/**
 * How auth stores and compares addresses (apps/auth/src/users.ts `normalizeEmail`): trimmed and lower-cased.
 * An email invitation matches an account when both normalize to the same string.
 */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/**
 * Redeems a code for `userId` inside the caller's transaction.
 *
 * - An email invitation is bound to its address: `accountEmail` (the `email` claim auth puts in the access
 *   token, the address the account is registered with) must match it, or the code is refused.
 * - One use per user: the membership row is inserted first and its primary key (meeting, user) decides who
 *   redeems; a concurrent acceptance by the same user waits for that row and then finds the member it made, so
 *   it consumes nothing. A member who joined some other way consumes nothing either.
 * - Uses never exceed the limit: the use is counted by a conditional update; when none is left the
 *   transaction (and the membership it started) is rolled back.
 * A member who was removed stays removed.
 */
export async function acceptInvitation(
  sql: Queryable,
  code: string,
  user: { id: string; email: string | undefined },
): Promise<{ invitation: InvitationRow; role: string }> {
  const [found] = await sql.unsafe<(InvitationRow & { state: string })[]>(
    `select ${COLUMNS}, (select state from meetings where id = meeting_id) as state
     from invitations where code_hash = $1`,
    [hashCode(code)] as never[],
  );
  if (!found) throw new ApiError(404, "invitation_not_found", "no invitation has this code");
  if (found.revokedAt) throw new ApiError(410, "invitation_revoked", "this invitation was revoked");
  if (found.expiresAt.getTime() <= Date.now())
    throw new ApiError(
      410,
      "invitation_expired",
      `this invitation expired at ${found.expiresAt.toISOString()}`,
    );
  if (found.state === "ended" || found.state === "cancelled")
    throw new ApiError(409, "meeting_over", `the meeting of this invitation is ${found.state}`);
  if (found.kind === "email") {
    if (user.email === undefined)
      throw new ApiError(
        403,
        "invitation_email_mismatch",
        "this invitation is for one email address and your access token names none: sign in again and retry",
      );
    if (normalizeEmail(user.email) !== normalizeEmail(found.email ?? ""))
      throw new ApiError(
        403,
        "invitation_email_mismatch",
        "this invitation was sent to another email address: sign in with the account registered under that address",
      );
  }
  const [joined] = await sql<{ role: string }[]>`
    insert into meeting_members (meeting_id, user_id, role, joined_via)
    values (${found.meetingId}, ${user.id}, ${found.role}, ${found.id})
    on conflict (meeting_id, user_id) do nothing
    returning role`;
  if (!joined) {
    const [existing] = await sql<{ role: string; removedAt: Date | null }[]>`
      select role, removed_at as "removedAt" from meeting_members
      where meeting_id = ${found.meetingId} and user_id = ${user.id}`;
    if (existing?.removedAt)
      throw new ApiError(
        403,
        "participant_removed",
        "you were removed from this meeting and cannot rejoin it",
      );
    return { invitation: found, role: existing?.role ?? found.role };
  }
  const [used] = await sql<{ uses: number }[]>`
    update invitations set uses = uses + 1
    where id = ${found.id} and uses < max_uses and revoked_at is null and expires_at > now()
    returning uses`;
  if (!used)
    throw new ApiError(
      410,
      "invitation_used_up",
      `this invitation was already used ${found.maxUses} time(s)`,
    );
  return { invitation: { ...found, uses: used.uses }, role: found.role };
}
