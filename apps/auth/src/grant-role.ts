/**
 * `tsx apps/auth/src/grant-role.ts --email ada@example.com --role admin [--revoke]`
 * Adds (or with --revoke removes) an organisation role on a registered user, straight in DATABASE_URL. This is
 * how the first admin is made; after that, admins use PUT /v1/admin/users/{id}/roles. Exit 0 on success, 1
 * when the user does not exist or the input is wrong.
 */
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { z } from "zod";
import {
  createDatabase,
  createLogger,
  errorFields,
  parseEnv,
  ROLES,
  type Role,
  urlVar,
} from "../../shared/src/index.ts";
import { normalizeEmail } from "./users.ts";

export async function grantRole(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const logger = createLogger({ service: "auth-grant-role" });
  let close: (() => Promise<void>) | undefined;
  try {
    const { values } = parseArgs({
      args,
      options: {
        email: { type: "string" },
        role: { type: "string" },
        revoke: { type: "boolean", default: false },
      },
    });
    if (!values.email) throw new Error("--email is required");
    if (!ROLES.includes(values.role as Role))
      throw new Error(`--role must be one of ${ROLES.join(", ")}, got ${JSON.stringify(values.role)}`);
    const role = values.role as Role;
    const { DATABASE_URL } = parseEnv(z.object({ DATABASE_URL: urlVar(["postgres:", "postgresql:"]) }), env, {
      secrets: ["DATABASE_URL"],
    });
    const db = createDatabase({ url: DATABASE_URL, max: 1, applicationName: "gomeet-auth-grant-role" });
    close = () => db.close();
    const email = normalizeEmail(values.email);
    const rows = values.revoke
      ? await db.sql`update users set roles = array_remove(roles, ${role}), updated_at = now()
          where email = ${email} and cardinality(array_remove(roles, ${role})) > 0 returning roles`
      : await db.sql`update users set roles = (select array_agg(distinct r order by r) from unnest(roles || ${role}::text) r), updated_at = now()
          where email = ${email} returning roles`;
    if (rows.length === 0)
      throw new Error(`no user with email ${email}${values.revoke ? " (or it is their only role)" : ""}`);
    logger.info(values.revoke ? "role revoked" : "role granted", {
      email,
      role,
      roles: rows[0]?.roles,
    });
    return 0;
  } catch (error) {
    logger.error("grant-role failed", errorFields(error));
    return 1;
  } finally {
    await close?.();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.exitCode = await grantRole(process.argv.slice(2));
}
