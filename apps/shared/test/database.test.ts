import { execFileSync } from "node:child_process";
import { chmodSync, chownSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createTestDatabase, type PostgresServer, startPostgres } from "../../../test/support/postgres.ts";
import { createDatabase, type Database } from "../src/index.ts";
import { metricValue } from "./metrics-text.ts";

async function poolGauge(registry: Registry) {
  const text = await registry.metrics();
  return {
    active: metricValue(text, "gomeet_db_pool_connections", { state: "active" }),
    idle: metricValue(text, "gomeet_db_pool_connections", { state: "idle" }),
  };
}

describe("gomeet_db_pool_connections on a plaintext connection", () => {
  let database: { url: string; drop(): Promise<void> };
  let db: Database;
  const registry = new Registry();
  beforeAll(async () => {
    database = await createTestDatabase(inject("postgresAdminUrl"), "kit_pool");
    db = createDatabase({ url: database.url, max: 3, registry });
  });
  afterAll(async () => {
    await db.close();
    await database.drop();
  });

  it("counts connections as active while a query or transaction runs and idle after", async () => {
    expect(await poolGauge(registry)).toEqual({ active: 0, idle: 0 });
    await db.sql`select 1`;
    expect(await poolGauge(registry)).toEqual({ active: 0, idle: 1 });
    const slow = Promise.all([db.sql`select pg_sleep(0.4)`, db.sql`select pg_sleep(0.4)`]);
    await new Promise((r) => setTimeout(r, 150));
    expect((await poolGauge(registry)).active).toBe(2);
    await slow;
    expect((await poolGauge(registry)).active).toBe(0);
    await db.sql.begin(async (tx) => {
      await tx`select 1`;
      // Between statements of an open transaction the connection is still taken.
      expect((await poolGauge(registry)).active).toBe(1);
    });
    expect((await poolGauge(registry)).active).toBe(0);
  });

  it("stops counting closed connections", async () => {
    const other = new Registry();
    const pool = createDatabase({ url: database.url, max: 2, registry: other });
    await Promise.all([pool.sql`select pg_sleep(0.05)`, pool.sql`select pg_sleep(0.05)`]);
    expect(await poolGauge(other)).toEqual({ active: 0, idle: 2 });
    await pool.close();
    expect(await poolGauge(other)).toEqual({ active: 0, idle: 0 });
  });
});

describe("TLS (sslmode) against a PostgreSQL server with ssl on", () => {
  let server: PostgresServer;
  beforeAll(async () => {
    server = await startPostgres();
    const dir = mkdtempSync(join(tmpdir(), "pg-tls-"));
    chmodSync(dir, 0o755);
    const [key, cert] = [join(dir, "server.key"), join(dir, "server.crt")];
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        key,
        "-out",
        cert,
        "-days",
        "1",
        "-subj",
        "/CN=localhost",
      ],
      { stdio: "ignore" },
    );
    chmodSync(key, 0o600);
    if (process.getuid?.() === 0)
      for (const f of [key, cert])
        chownSync(
          f,
          Number(execFileSync("id", ["-u", "postgres"]).toString()),
          Number(execFileSync("id", ["-g", "postgres"]).toString()),
        );
    const admin = postgres(server.adminUrl, { max: 1, onnotice: () => undefined });
    try {
      await admin.unsafe(`alter system set ssl_cert_file = '${cert}'`);
      await admin.unsafe(`alter system set ssl_key_file = '${key}'`);
      await admin.unsafe("alter system set ssl = on");
      await admin`select pg_reload_conf()`;
    } finally {
      await admin.end();
    }
  });
  afterAll(async () => server.stop());

  it("negotiates TLS for sslmode=require and still tracks the pool", async () => {
    const registry = new Registry();
    const db = createDatabase({ url: `${server.adminUrl}?sslmode=require`, max: 1, registry });
    try {
      const [row] = await db.sql<
        { ssl: boolean }[]
      >`select ssl from pg_stat_ssl where pid = pg_backend_pid()`;
      expect(row?.ssl).toBe(true);
      expect(await poolGauge(registry)).toEqual({ active: 0, idle: 1 });
    } finally {
      await db.close();
    }
  });

  it("refuses an untrusted certificate with sslmode=verify-full", async () => {
    const db = createDatabase({ url: `${server.adminUrl}?sslmode=verify-full`, max: 1 });
    try {
      await expect(db.sql`select 1`).rejects.toThrow(/self[- ]signed/i);
    } finally {
      await db.close();
    }
  });

  it("refuses a server without TLS when sslmode=require", async () => {
    const db = createDatabase({ url: `${inject("postgresAdminUrl")}?sslmode=require`, max: 1 });
    try {
      await expect(db.sql`select 1`).rejects.toThrow("refused TLS but sslmode=require requires it");
    } finally {
      await db.close();
    }
  });

  it("refuses an unknown sslmode, naming it", () => {
    expect(() => createDatabase({ url: `${server.adminUrl}?sslmode=sometimes` })).toThrow(
      'sslmode must be one of disable, prefer, require, verify-ca, verify-full, got "sometimes"',
    );
  });
});
