import { randomBytes } from "node:crypto";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { execFileAsync, freePort, postgresBinDir } from "./processes.ts";

export interface PostgresServer {
  /** Superuser URL of the server (database `postgres`). */
  adminUrl: string;
  stop(): Promise<void>;
}

const isRoot = typeof process.getuid === "function" && process.getuid() === 0;

/** Runs a PostgreSQL binary, as the `postgres` user when we are root (initdb refuses to run as root). */
async function runPg(binary: string, args: string[]): Promise<void> {
  if (isRoot) await execFileAsync("runuser", ["-u", "postgres", "--", binary, ...args]);
  else await execFileAsync(binary, args);
}

/**
 * Starts a throwaway PostgreSQL server from the installed Debian binaries on a free loopback port.
 * As root, initdb and pg_ctl run as the `postgres` user: PostgreSQL refuses to run as root ("initdb",
 * https://www.postgresql.org/docs/15/app-initdb.html).
 */
export async function startPostgres(): Promise<PostgresServer> {
  const bin = postgresBinDir();
  if (!bin) {
    throw new Error(
      "PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin: install them with " +
        "`apt-get install postgresql` or set DATABASE_URL to an existing server",
    );
  }
  const dir = mkdtempSync(join(tmpdir(), "gomeet-pg-"));
  chmodSync(dir, 0o777);
  const data = join(dir, "data");
  const port = await freePort();
  if (isRoot) await execFileAsync("chown", ["postgres:postgres", dir]);
  await runPg(`${bin}/initdb`, ["-D", data, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"]);
  await runPg(`${bin}/pg_ctl`, [
    "-D",
    data,
    "-l",
    join(dir, "postgres.log"),
    "-w",
    "-o",
    `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300`,
    "start",
  ]);
  return {
    adminUrl: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async stop() {
      await runPg(`${bin}/pg_ctl`, ["-D", data, "-m", "immediate", "-w", "stop"]).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Creates a fresh, uniquely named database on the server behind `adminUrl` and returns its URL
 * plus a function that drops it. Tests use one database each so they never see each other's rows.
 */
export async function createTestDatabase(
  adminUrl: string,
  label = "test",
): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `${label.replace(/[^a-z0-9_]/gi, "_").toLowerCase()}_${randomBytes(6).toString("hex")}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => undefined });
  try {
    await admin.unsafe(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const sql = postgres(adminUrl, { max: 1, onnotice: () => undefined });
      try {
        await sql.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await sql.end();
      }
    },
  };
}
