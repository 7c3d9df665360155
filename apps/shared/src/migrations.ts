import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Sql } from "./database.ts";

/** One versioned SQL file, `NNNN_name.sql`, from a service's `migrations/` folder. */
export interface Migration {
  version: number;
  name: string;
  file: string;
  sql: string;
  checksum: string;
}

export interface MigrationResult {
  applied: Migration[];
  alreadyApplied: number;
}

const FILE_PATTERN = /^(\d{4})_([a-z0-9_]+)\.sql$/;
const TABLE = "schema_migrations";
/** pg_advisory_xact_lock key: concurrent runners (two rollouts, two Jobs) apply each file once. */
const LOCK_KEY = 724_311_906;

/** Reads and orders the migration files; a misnamed file or a repeated version is an error naming the file. */
export function loadMigrations(dir: string): Migration[] {
  const migrations: Migration[] = [];
  for (const file of readdirSync(dir).sort()) {
    if (!file.endsWith(".sql")) continue;
    const match = FILE_PATTERN.exec(file);
    if (!match)
      throw new Error(`migration ${join(dir, file)}: name must match NNNN_name.sql (lowercase, digits, _)`);
    const version = Number(match[1]);
    const previous = migrations.find((m) => m.version === version);
    if (previous) throw new Error(`migration ${file}: version ${match[1]} is also used by ${previous.file}`);
    const sql = readFileSync(join(dir, file), "utf8");
    migrations.push({
      version,
      name: match[2] as string,
      file,
      sql,
      checksum: createHash("sha256").update(sql).digest("hex"),
    });
  }
  return migrations;
}

/**
 * Applies every migration not yet recorded in `schema_migrations`, each in its own transaction together with
 * its record, in version order. A recorded file whose content changed since it was applied is an error:
 * migrations are append-only.
 */
export async function runMigrations(sql: Sql, dir: string): Promise<MigrationResult> {
  const migrations = loadMigrations(dir);
  await sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(${LOCK_KEY})`;
    await tx.unsafe(`create table if not exists ${TABLE} (
      version integer primary key,
      name text not null,
      checksum text not null,
      applied_at timestamptz not null default now()
    )`);
  });
  const applied: Migration[] = [];
  let alreadyApplied = 0;
  for (const migration of migrations) {
    const done = await sql.begin(async (tx) => {
      await tx`select pg_advisory_xact_lock(${LOCK_KEY})`;
      const [row] = await tx<
        { checksum: string }[]
      >`select checksum from ${tx(TABLE)} where version = ${migration.version}`;
      if (row) {
        if (row.checksum !== migration.checksum) {
          throw new Error(
            `migration ${migration.file} changed after it was applied (checksum differs); add a new migration instead`,
          );
        }
        return false;
      }
      await tx.unsafe(migration.sql);
      await tx`insert into ${tx(TABLE)} (version, name, checksum) values (${migration.version}, ${migration.name}, ${migration.checksum})`;
      return true;
    });
    if (done) applied.push(migration);
    else alreadyApplied++;
  }
  return { applied, alreadyApplied };
}
