import { randomBytes } from "node:crypto";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createTestDatabase } from "../../test/support/postgres.ts";
import { monitoringRoleGrants } from "./monitoring-role.ts";

/**
 * The grants against a real PostgreSQL: the role is created as DigitalOcean creates a user (LOGIN, nothing
 * else), a service role owns a table with rows, then the grants run as the admin. The monitoring session must
 * see what postgres-exporter reads — other sessions' activity, database statistics, settings — and nothing of
 * the service's data, and it cannot write.
 */
const quiet = { max: 1, onnotice: () => undefined };
const suffix = randomBytes(4).toString("hex");
const role = `monitoring_${suffix}`;
const service = `svc_${suffix}`;
let adminUrl: string;
let database: { url: string; drop(): Promise<void> };
let dbName: string;

beforeAll(async () => {
  adminUrl = inject("postgresAdminUrl");
  database = await createTestDatabase(adminUrl, "monitoring_role");
  dbName = new URL(database.url).pathname.slice(1);
  const admin = postgres(adminUrl, quiet);
  try {
    await admin.unsafe(`create role "${role}" login`);
    await admin.unsafe(`create role "${service}" login`);
  } finally {
    await admin.end();
  }
  const inDb = postgres(database.url, quiet);
  try {
    await inDb.unsafe(`create table users (id int primary key, email text)`);
    await inDb.unsafe(`insert into users values (1, 'a@example.com')`);
    await inDb.unsafe(`alter table users owner to "${service}"`);
    for (const statement of monitoringRoleGrants([dbName], role)) await inDb.unsafe(statement);
    // Idempotent: the runbook may run them again after adding a database.
    for (const statement of monitoringRoleGrants([dbName], role)) await inDb.unsafe(statement);
  } finally {
    await inDb.end();
  }
});

afterAll(async () => {
  await database?.drop();
  const admin = postgres(adminUrl, quiet);
  try {
    await admin.unsafe(`drop role if exists "${role}"`);
    await admin.unsafe(`drop role if exists "${service}"`);
  } finally {
    await admin.end();
  }
});

function asRole(name: string) {
  const url = new URL(database.url);
  url.username = name;
  return postgres(url.toString(), quiet);
}

describe("monitoring role", () => {
  it("reads other sessions' activity, database statistics and settings", async () => {
    const other = asRole(service);
    const monitoring = asRole(role);
    try {
      await other`select 1 as marker_of_the_service_session`;
      const activity = await monitoring<{ query: string }[]>`
        select query from pg_stat_activity where usename = ${service}`;
      // Without pg_read_all_stats another user's query reads "<insufficient privilege>".
      expect(activity.map((a) => a.query).join("\n")).toContain("marker_of_the_service_session");
      const [stats] = await monitoring<{ xact_commit: string }[]>`
        select xact_commit from pg_stat_database where datname = ${dbName}`;
      expect(Number(stats?.xact_commit)).toBeGreaterThan(0);
      const [setting] = await monitoring<{ setting: string }[]>`
        select setting from pg_settings where name = 'data_directory'`;
      expect(setting?.setting).toMatch(/\//);
    } finally {
      await other.end();
      await monitoring.end();
    }
  });

  it("reads none of the service's rows and writes nothing", async () => {
    const monitoring = asRole(role);
    try {
      await expect(monitoring`select * from users`).rejects.toThrow(/permission denied for table users/);
      await expect(monitoring.unsafe("create table stolen (x int)")).rejects.toThrow(
        /read-only transaction|permission denied for schema public/,
      );
      const [readOnly] = await monitoring<{ transaction_read_only: string }[]>`show transaction_read_only`;
      expect(readOnly?.transaction_read_only).toBe("on");
    } finally {
      await monitoring.end();
    }
  });

  it("refuses a database name that is not a plain identifier", () => {
    expect(() => monitoringRoleGrants(['auth"; drop table users; --'])).toThrow(
      /database "auth"; drop table users; --" must be a lower-case SQL identifier/,
    );
  });
});
