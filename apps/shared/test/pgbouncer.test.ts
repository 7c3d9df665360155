import { join } from "node:path";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type PgBouncerServer, startPgBouncer } from "../../../test/support/pgbouncer.ts";
import { createTestDatabase } from "../../../test/support/postgres.ts";
import { freePort, spawnServer, stopProcess, waitFor } from "../../../test/support/processes.ts";
import { type RedisServer, useTestRedis } from "../../../test/support/redis.ts";
import { AUTH_MIGRATIONS_DIR } from "../../auth/src/migrate.ts";
import { generateSigningKey } from "../../auth/src/signing-keys.ts";
import { createDatabase, migrateCommand, runMigrations } from "../src/index.ts";

/**
 * The stack reaches PostgreSQL through DigitalOcean connection pools, which are PgBouncer in transaction mode
 * (docs/sources.md#postgres-behind-pgbouncer), and sets DATABASE_PREPARE=false (infra/layers/apps.ts). These
 * tests put a real PgBouncer (Debian 12: 1.18) between the kit and PostgreSQL to show that this works, and
 * that it is needed.
 */
const root = join(import.meta.dirname, "../../..");
const tsx = join(root, "node_modules/.bin/tsx");

let adminUrl: string;
let bouncer: PgBouncerServer;
const dropAfter: (() => Promise<void>)[] = [];

beforeAll(async () => {
  adminUrl = inject("postgresAdminUrl");
  // Four server connections shared by up to a dozen clients: every client's transactions hop between them.
  bouncer = await startPgBouncer(adminUrl, { defaultPoolSize: 4 });
});
afterAll(async () => {
  await bouncer?.stop();
  for (const drop of dropAfter) await drop();
});

/** A private database, plus its URL through PgBouncer. */
async function pooledDatabase(label: string): Promise<{ direct: string; pooled: string }> {
  const database = await createTestDatabase(adminUrl, label);
  dropAfter.push(() => database.drop());
  return { direct: database.url, pooled: bouncer.urlFor(database.url) };
}

async function queryDirect<T>(url: string, run: (sql: postgres.Sql) => Promise<T>): Promise<T> {
  const sql = postgres(url, { max: 1, onnotice: () => undefined });
  try {
    return await run(sql);
  } finally {
    await sql.end();
  }
}

describe("PgBouncer helper", () => {
  it("really pools in transaction mode", async () => {
    const admin = postgres(bouncer.urlFor(new URL("/pgbouncer", adminUrl).toString()), {
      max: 1,
      fetch_types: false,
    });
    try {
      // The admin console speaks only the simple query protocol.
      const config = await admin.unsafe("show config").simple();
      const byKey = new Map(config.map((row) => [row.key as string, row.value as string]));
      expect(byKey.get("pool_mode")).toBe("transaction");
      expect(byKey.get("default_pool_size")).toBe("4");
      expect(byKey.get("listen_addr")).toBe("127.0.0.1");
    } finally {
      await admin.end();
    }
  });
});

describe("migrations through PgBouncer with DATABASE_PREPARE=false", () => {
  it("migrateCommand applies auth's migrations once; a second run applies nothing", async () => {
    const db = await pooledDatabase("pgb_migrate");
    const env = { DATABASE_URL: db.pooled, DATABASE_PREPARE: "false", LOG_LEVEL: "error" };
    expect(await migrateCommand("auth", AUTH_MIGRATIONS_DIR, env)).toBe(0);
    const recorded = await queryDirect(
      db.direct,
      (sql) => sql<{ version: number; name: string }[]>`select version, name from schema_migrations`,
    );
    expect(recorded.map((r) => ({ ...r }))).toEqual([{ version: 1, name: "users_sessions" }]);
    const tables = await queryDirect(
      db.direct,
      (sql) => sql`select 1 from information_schema.tables where table_name = 'users'`,
    );
    expect(tables.length).toBe(1);

    expect(await migrateCommand("auth", AUTH_MIGRATIONS_DIR, env)).toBe(0);
    const pool = createDatabase({ url: db.pooled, max: 1, prepare: false });
    try {
      const again = await runMigrations(pool.sql, AUTH_MIGRATIONS_DIR);
      expect(again.applied).toEqual([]);
      expect(again.alreadyApplied).toBe(1);
    } finally {
      await pool.close();
    }
  });

  it("the advisory lock serialises concurrent runners across pooled server connections", async () => {
    const db = await pooledDatabase("pgb_migrate_race");
    const runners = Array.from({ length: 4 }, () =>
      createDatabase({ url: db.pooled, max: 1, prepare: false }),
    );
    try {
      const results = await Promise.all(runners.map((r) => runMigrations(r.sql, AUTH_MIGRATIONS_DIR)));
      expect(results.map((r) => r.applied.length).sort()).toEqual([0, 0, 0, 1]);
      expect(results.map((r) => r.alreadyApplied).sort()).toEqual([0, 1, 1, 1]);
    } finally {
      await Promise.all(runners.map((r) => r.close()));
    }
  });
});

type WorkloadFailure = { kind: "query" | "transaction"; code: string | undefined; message: string };

/**
 * Concurrent parameterized reads and transactions (one of every five rolls back) on a kit pool. An operation
 * still pending after `deadlineMs` counts as failed with code "unsettled"; the ledger is read directly.
 */
async function runWorkload(urls: { direct: string; pooled: string }, prepare: boolean, operations: number) {
  const db = createDatabase({ url: urls.pooled, max: 12, prepare });
  const failures: WorkloadFailure[] = [];
  const deadlineMs = 10_000;
  try {
    await db.sql`create table ledger (id int primary key, owner text not null, amount int not null)`;
    await Promise.all(
      Array.from({ length: operations }, async (_, i) => {
        const kind = i % 2 === 0 ? "query" : "transaction";
        let settled = false;
        const fail = (code: string | undefined, message: string) => {
          if (!settled) failures.push({ kind, code, message });
          settled = true;
        };
        const attempt = (async () => {
          if (kind === "query") {
            const [row] = await db.sql<{ n: number; label: string }[]>`
              select ${i}::int * 2 as n, ${`op-${i}`}::text as label`;
            if (row?.n !== i * 2 || row.label !== `op-${i}`)
              throw new Error(`op ${i} read ${JSON.stringify(row)}`);
            return;
          }
          await db.sql
            .begin(async (tx) => {
              await tx`insert into ledger (id, owner, amount) values (${i}, ${`owner-${i % 7}`}, ${i})`;
              const [own] = await tx<{ amount: number }[]>`select amount from ledger where id = ${i}`;
              if (own?.amount !== i) throw new Error(`op ${i} read back ${JSON.stringify(own)}`);
              if (i % 5 === 0) throw new RollbackOnPurpose();
            })
            .catch((error: unknown) => {
              if (!(error instanceof RollbackOnPurpose)) throw error;
            });
        })().then(
          () => {
            settled = true;
          },
          (error: Error & { code?: string }) => fail(error.code, error.message),
        );
        let timer: NodeJS.Timeout | undefined;
        const deadline = new Promise<void>((resolve) => {
          timer = setTimeout(() => {
            fail("unsettled", `still pending after ${deadlineMs} ms`);
            resolve();
          }, deadlineMs);
        });
        await Promise.race([attempt, deadline]);
        clearTimeout(timer);
      }),
    );
  } finally {
    await db.close(1);
  }
  const [ledger] = await queryDirect(
    urls.direct,
    (sql) => sql<{ rows: number; total: number }[]>`
      select count(*)::int as rows, coalesce(sum(amount), 0)::int as total from ledger`,
  );
  return { failures, ledger: { rows: ledger?.rows ?? 0, total: ledger?.total ?? 0 } };
}

class RollbackOnPurpose extends Error {}

/** Rows and sum the workload leaves when every transaction not rolled back on purpose commits. */
function expectedLedger(operations: number): { rows: number; total: number } {
  const kept = Array.from({ length: operations }, (_, i) => i).filter((i) => i % 2 === 1 && i % 5 !== 0);
  return { rows: kept.length, total: kept.reduce((a, b) => a + b, 0) };
}

describe("the kit's pool through PgBouncer", () => {
  it("with prepare: false runs many concurrent parameterized queries and transactions correctly", async () => {
    const db = await pooledDatabase("pgb_unprepared");
    const { failures, ledger } = await runWorkload(db, false, 400);
    expect(failures).toEqual([]);
    expect(ledger).toEqual(expectedLedger(400));
  });

  it("with prepare: true the same workload fails: prepared statement does not exist (SQLSTATE 26000)", async () => {
    const db = await pooledDatabase("pgb_prepared");
    const { failures, ledger } = await runWorkload(db, true, 400);
    // Observed with PgBouncer 1.18 and postgres.js 3.4: a statement prepared on one server connection is
    // looked up on another. postgres.js re-prepares once on that error, which rescues most lone queries but
    // not a transaction, pinned to the server connection that lacks the statement. Some operations also
    // never settle: PgBouncer and PostgreSQL are idle while the postgres.js connection waits forever.
    const byCode = new Map<string | undefined, WorkloadFailure[]>();
    for (const f of failures) byCode.set(f.code, [...(byCode.get(f.code) ?? []), f]);
    expect([...byCode.keys()].every((code) => code === "26000" || code === "unsettled")).toBe(true);
    const missing = byCode.get("26000") ?? [];
    expect(missing.length).toBeGreaterThan(0);
    for (const f of missing) expect(f.message).toMatch(/^prepared statement ".+" does not exist$/);
    expect(missing.some((f) => f.kind === "transaction")).toBe(true);
    expect(ledger.rows).toBeLessThan(expectedLedger(400).rows);
  });

  it("with prepare: true a transaction fails as soon as it lands on a server connection that lacks the statement", async () => {
    const db = await pooledDatabase("pgb_prepared_pinned");
    const client = createDatabase({ url: db.pooled, max: 1, prepare: true });
    const other = createDatabase({ url: db.pooled, max: 1, prepare: true });
    try {
      const pid = (tx: postgres.TransactionSql) => tx<{ pid: number }[]>`select pg_backend_pid() as pid`;
      const first = await client.sql.begin(pid);
      // The other client holds the server connection the statement was prepared on.
      let release: () => void = () => undefined;
      const held = new Promise<void>((r) => {
        release = r;
      });
      let holding: () => void = () => undefined;
      const isHolding = new Promise<void>((r) => {
        holding = r;
      });
      const otherTransaction = other.sql.begin(async (tx) => {
        await tx`select 1`;
        holding();
        await held;
      });
      await isHolding;
      const second = await client.sql.begin(pid).catch((error: Error & { code?: string }) => error);
      release();
      await otherTransaction;
      expect(first[0]?.pid).toBeTypeOf("number");
      expect(second).toBeInstanceOf(Error);
      expect((second as Error & { code?: string }).code).toBe("26000");
    } finally {
      await client.close();
      await other.close();
    }
  });
});

describe("the auth server behind PgBouncer with DATABASE_PREPARE=false", () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await useTestRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it("serves register, login and refresh for concurrent users", async () => {
    const db = await pooledDatabase("pgb_auth");
    expect(
      await migrateCommand("auth", AUTH_MIGRATIONS_DIR, {
        DATABASE_URL: db.pooled,
        DATABASE_PREPARE: "false",
        LOG_LEVEL: "error",
      }),
    ).toBe(0);
    const port = await freePort();
    const server = spawnServer(tsx, ["apps/auth/src/server.ts"], {
      cwd: root,
      env: {
        PATH: process.env.PATH,
        DATABASE_URL: db.pooled,
        DATABASE_PREPARE: "false",
        DATABASE_POOL_MAX: "8",
        REDIS_URL: redis.url,
        AUTH_ISSUER: "https://auth.gomeet.test",
        AUTH_SIGNING_KEYS: JSON.stringify({ keys: [await generateSigningKey("EdDSA")] }),
        AUTH_RATE_REGISTER_IP: "100/1h",
        AUTH_RATE_LOGIN_IP: "100/1m",
        HOST: "127.0.0.1",
        PORT: String(port),
      },
    });
    const base = `http://127.0.0.1:${port}`;
    const post = (path: string, body: unknown) =>
      fetch(`${base}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    try {
      await waitFor("auth to answer /readyz", async () => (await fetch(`${base}/readyz`)).ok, 20_000);
      const users = Array.from({ length: 6 }, (_, i) => ({
        email: `pooled-${i}@example.com`,
        displayName: `Pooled ${i}`,
        password: `pooled ${i} correct horse battery`,
      }));
      await Promise.all(
        users.map(async (user) => {
          expect((await post("/v1/auth/register", user)).status).toBe(202);
          const login = await post("/v1/auth/login", { email: user.email, password: user.password });
          expect(login.status).toBe(200);
          const tokens = (await login.json()) as { refreshToken: string; sessionId: string };
          for (let round = 0; round < 3; round++) {
            const refreshed = await post("/v1/auth/refresh", { refreshToken: tokens.refreshToken });
            expect(refreshed.status).toBe(200);
            const next = (await refreshed.json()) as { refreshToken: string; sessionId: string };
            expect(next.sessionId).toBe(tokens.sessionId);
            expect(next.refreshToken).not.toBe(tokens.refreshToken);
            tokens.refreshToken = next.refreshToken;
          }
          expect((await post("/v1/auth/login", { email: user.email, password: "wrong" })).status).toBe(401);
        }),
      );
      const [count] = await queryDirect(
        db.direct,
        (sql) => sql<{ n: number }[]>`select count(*)::int as n from users where email like 'pooled-%'`,
      );
      expect(count?.n).toBe(users.length);
    } catch (error) {
      throw new Error(`${String(error)}\nauth output:\n${server.output()}\npgbouncer:\n${bouncer.output()}`);
    } finally {
      await stopProcess(server.child);
    }
  });
});
