import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, expect, inject, it } from "vitest";
import { createTestDatabase } from "../../../test/support/postgres.ts";
import { createDatabase, type Database, loadMigrations, runMigrations } from "../src/index.ts";

let database: { url: string; drop(): Promise<void> };
let db: Database;
let dir: string;

beforeEach(async () => {
  database = await createTestDatabase(inject("postgresAdminUrl"), "kit_migrations");
  db = createDatabase({ url: database.url, max: 4 });
  dir = mkdtempSync(join(tmpdir(), "migrations-"));
});
afterEach(async () => {
  await db.close();
  await database.drop();
});

const write = (name: string, sql: string) => writeFileSync(join(dir, name), sql);
const tables = async () =>
  (
    await db.sql<
      { name: string }[]
    >`select table_name as name from information_schema.tables where table_schema = 'public' order by 1`
  ).map((r) => r.name);

it("applies files in version order, each once, and records them", async () => {
  write("0002_add_column.sql", "alter table widgets add column colour text;");
  write(
    "0001_widgets.sql",
    "create table widgets (id int primary key);\ncreate index widgets_id on widgets (id);",
  );
  write("README.md", "not a migration");
  const first = await runMigrations(db.sql, dir);
  expect(first.applied.map((m) => m.file)).toEqual(["0001_widgets.sql", "0002_add_column.sql"]);
  const second = await runMigrations(db.sql, dir);
  expect(second).toEqual({ applied: [], alreadyApplied: 2 });
  expect(await tables()).toEqual(["schema_migrations", "widgets"]);
  const rows = await db.sql`select version, name from schema_migrations order by version`;
  expect(rows).toEqual([
    { version: 1, name: "widgets" },
    { version: 2, name: "add_column" },
  ]);
});

it("rolls a failing migration back whole and records nothing for it", async () => {
  write("0001_ok.sql", "create table a (id int);");
  write("0002_broken.sql", "create table b (id int);\ninsert into missing_table values (1);");
  await expect(runMigrations(db.sql, dir)).rejects.toThrow(/missing_table/);
  expect(await tables()).toEqual(["a", "schema_migrations"]);
  expect((await db.sql`select version from schema_migrations`).map((r) => r.version)).toEqual([1]);
});

it("refuses a migration that changed after it was applied", async () => {
  write("0001_a.sql", "create table a (id int);");
  await runMigrations(db.sql, dir);
  write("0001_a.sql", "create table a (id bigint);");
  await expect(runMigrations(db.sql, dir)).rejects.toThrow(
    "migration 0001_a.sql changed after it was applied",
  );
});

it("refuses misnamed files and repeated versions, naming the file", () => {
  write("1_a.sql", "select 1;");
  expect(() => loadMigrations(dir)).toThrow(/1_a\.sql: name must match NNNN_name\.sql/);
  const other = mkdtempSync(join(tmpdir(), "migrations-"));
  writeFileSync(join(other, "0001_a.sql"), "select 1;");
  writeFileSync(join(other, "0001_b.sql"), "select 1;");
  expect(() => loadMigrations(other)).toThrow(
    "migration 0001_b.sql: version 0001 is also used by 0001_a.sql",
  );
});

it("applies each migration exactly once when several runners start together", async () => {
  write("0001_counter.sql", "create table runs (n int);");
  write("0002_insert.sql", "insert into runs values (1);");
  const runners = Array.from({ length: 4 }, () => createDatabase({ url: database.url, max: 1 }));
  try {
    const results = await Promise.all(runners.map((r) => runMigrations(r.sql, dir)));
    expect(results.reduce((sum, r) => sum + r.applied.length, 0)).toBe(2);
    expect(await db.sql`select n from runs`).toEqual([{ n: 1 }]);
  } finally {
    await Promise.all(runners.map((r) => r.close()));
  }
});
