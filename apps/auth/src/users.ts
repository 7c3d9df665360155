import type { Queryable } from "../../shared/src/index.ts";

export interface UserRow {
  id: string;
  email: string;
  displayName: string;
  passwordHash: string;
  roles: string[];
  disabledAt: Date | null;
  createdAt: Date;
}

/** The public shape of a user in every response (never the password hash). */
export interface UserView {
  id: string;
  email: string;
  displayName: string;
  roles: string[];
  disabled: boolean;
  createdAt: string;
}

export function userView(user: UserRow): UserView {
  return {
    id: user.id,
    email: user.email,
    displayName: user.displayName,
    roles: user.roles,
    disabled: user.disabledAt !== null,
    createdAt: user.createdAt.toISOString(),
  };
}

/** Emails are compared and stored trimmed and lower-cased. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** The select list that maps a users row onto UserRow. */
export const userColumns = (sql: Queryable) =>
  sql`id, email, display_name as "displayName", password_hash as "passwordHash", roles, disabled_at as "disabledAt", created_at as "createdAt"`;

export async function findUserByEmail(sql: Queryable, email: string): Promise<UserRow | undefined> {
  const [row] = await sql<UserRow[]>`select ${userColumns(sql)} from users where email = ${email}`;
  return row;
}

export async function findUserById(sql: Queryable, id: string): Promise<UserRow | undefined> {
  const [row] = await sql<UserRow[]>`select ${userColumns(sql)} from users where id = ${id}`;
  return row;
}

/** Inserts the user unless the email is taken; says nothing about which happened (no enumeration). */
export async function insertUserIfAbsent(
  sql: Queryable,
  user: { email: string; displayName: string; passwordHash: string },
): Promise<void> {
  await sql`insert into users (email, display_name, password_hash) values (${user.email}, ${user.displayName}, ${user.passwordHash})
    on conflict (email) do nothing`;
}

export async function updateDisplayName(
  sql: Queryable,
  id: string,
  displayName: string,
): Promise<UserRow | undefined> {
  const [row] = await sql<
    UserRow[]
  >`update users set display_name = ${displayName}, updated_at = now() where id = ${id} returning ${userColumns(sql)}`;
  return row;
}

export async function updatePasswordHash(sql: Queryable, id: string, passwordHash: string): Promise<void> {
  await sql`update users set password_hash = ${passwordHash}, updated_at = now() where id = ${id}`;
}

/**
 * Replaces the password hash only if it is still the one the current password was verified against: of two
 * changes verified against the same password, the second finds the hash changed and returns false, as it would
 * had it come after the first.
 */
export async function replacePasswordHash(
  sql: Queryable,
  id: string,
  verifiedHash: string,
  passwordHash: string,
): Promise<boolean> {
  const changed = await sql`update users set password_hash = ${passwordHash}, updated_at = now()
    where id = ${id} and password_hash = ${verifiedHash} returning id`;
  return changed.length === 1;
}

export async function setRoles(sql: Queryable, id: string, roles: string[]): Promise<UserRow | undefined> {
  const [row] = await sql<
    UserRow[]
  >`update users set roles = ${roles}, updated_at = now() where id = ${id} returning ${userColumns(sql)}`;
  return row;
}

export async function setDisabled(
  sql: Queryable,
  id: string,
  disabled: boolean,
): Promise<UserRow | undefined> {
  const [row] = await sql<
    UserRow[]
  >`update users set disabled_at = ${disabled ? sql`coalesce(disabled_at, now())` : null}, updated_at = now()
    where id = ${id} returning ${userColumns(sql)}`;
  return row;
}

/** Keyset page of users in creation order; `after` is the last (createdAt, id) of the previous page. */
export async function listUsers(
  sql: Queryable,
  limit: number,
  after?: { createdAt: Date; id: string },
): Promise<UserRow[]> {
  return await sql<UserRow[]>`select ${userColumns(sql)} from users
    ${after ? sql`where (created_at, id) > (${after.createdAt}, ${after.id})` : sql``}
    order by created_at, id limit ${limit}`;
}
