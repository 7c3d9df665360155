import { execFile } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { request } from "node:http";
import { getPriority } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createTestDatabase } from "../../../test/support/postgres.ts";
import { freePort, spawnServer, stopProcess, waitFor } from "../../../test/support/processes.ts";
import { type RedisServer, useTestRedis } from "../../../test/support/redis.ts";
import { metricValue, threadNice } from "./harness.ts";

/** The entry points as the stack runs them: `tsx apps/auth/src/{keygen,migrate,server}.ts` in child processes. */
const root = join(import.meta.dirname, "../../..");
const tsx = join(root, "node_modules/.bin/tsx");
const run = promisify(execFile);

let database: { url: string; drop(): Promise<void> };
let redis: RedisServer;
let signingKeys: string;

beforeAll(async () => {
  database = await createTestDatabase(inject("postgresAdminUrl"), "auth_server");
  redis = await useTestRedis();
  const { stdout, stderr } = await run(tsx, ["apps/auth/src/keygen.ts"], { cwd: root });
  signingKeys = stdout.trim();
  expect(stderr).toMatch(/new signing key kid: \d{4}-\d{2}-\d{2}-[0-9a-f]{8}/);
});
afterAll(async () => {
  await redis.stop();
  await database.drop();
});

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    DATABASE_URL: database.url,
    REDIS_URL: redis.url,
    AUTH_ISSUER: "https://auth.gomeet.test",
    AUTH_SIGNING_KEYS: signingKeys,
    HOST: "127.0.0.1",
    SHUTDOWN_DRAIN_MS: "5000",
    ...extra,
  };
}

describe("keygen", () => {
  it("adds a key to an existing set for rotation", async () => {
    const { writeFileSync, mkdtempSync } = await import("node:fs");
    const dir = mkdtempSync(join((await import("node:os")).tmpdir(), "keys-"));
    writeFileSync(join(dir, "keys.json"), signingKeys);
    const { stdout } = await run(
      tsx,
      ["apps/auth/src/keygen.ts", "--alg", "ES256", "--add-to", join(dir, "keys.json")],
      { cwd: root },
    );
    const set = JSON.parse(stdout) as { keys: { kid: string; alg: string; d: string }[] };
    expect(set.keys.map((k) => k.alg)).toEqual(["EdDSA", "ES256"]);
    expect(set.keys.every((k) => typeof k.d === "string")).toBe(true);
  });
});

describe("migrate", () => {
  it("applies the migrations once and records them", async () => {
    const first = await run(tsx, ["apps/auth/src/migrate.ts"], { cwd: root, env: env() });
    const lines = first.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { msg: string; applied?: number });
    expect(lines.at(-1)).toMatchObject({ msg: "migrations done", applied: 1 });
    const again = await run(tsx, ["apps/auth/src/migrate.ts"], { cwd: root, env: env() });
    expect(JSON.parse(again.stdout.trim().split("\n").at(-1) as string)).toMatchObject({
      applied: 0,
      alreadyApplied: 1,
    });
    const sql = postgres(database.url, { max: 1 });
    try {
      const rows = await sql`select version, name from schema_migrations`;
      expect(rows).toEqual([{ version: 1, name: "users_sessions" }]);
    } finally {
      await sql.end();
    }
  });

  it("fails with exit code 1 and names the variable when DATABASE_URL is missing", async () => {
    const result = await run(tsx, ["apps/auth/src/migrate.ts"], {
      cwd: root,
      env: { PATH: process.env.PATH },
    }).catch((e) => e);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("DATABASE_URL");
  });
});

describe("grant-role", () => {
  it("makes a registered user an admin, and refuses an unknown one", async () => {
    const sql = postgres(database.url, { max: 1 });
    try {
      await sql`insert into users (email, display_name, password_hash) values ('first@example.com', 'First', 'x')`;
      await run(tsx, ["apps/auth/src/grant-role.ts", "--email", "First@Example.com", "--role", "admin"], {
        cwd: root,
        env: env(),
      });
      expect((await sql`select roles from users where email = 'first@example.com'`)[0]?.roles).toEqual([
        "admin",
        "member",
      ]);
      await run(
        tsx,
        ["apps/auth/src/grant-role.ts", "--email", "first@example.com", "--role", "admin", "--revoke"],
        { cwd: root, env: env() },
      );
      expect((await sql`select roles from users where email = 'first@example.com'`)[0]?.roles).toEqual([
        "member",
      ]);
      const missing = await run(
        tsx,
        ["apps/auth/src/grant-role.ts", "--email", "ghost@example.com", "--role", "admin"],
        { cwd: root, env: env() },
      ).catch((e) => e);
      expect(missing.code).toBe(1);
      expect(missing.stdout).toContain("no user with email ghost@example.com");
    } finally {
      await sql.end();
    }
  });
});

describe("server", () => {
  it("refuses to start on a bad environment, naming the variable and hiding secret values", async () => {
    const result = await run(tsx, ["apps/auth/src/server.ts"], {
      cwd: root,
      env: env({
        PORT: "eighty",
        AUTH_SIGNING_KEYS: "{not json but secret-material-123",
        AUTH_RATE_LOGIN_IP: "lots",
      }),
    }).catch((e) => e);
    expect(result.code).toBe(1);
    const line = JSON.parse(result.stderr.trim()) as { level: string; error: { problems: string[] } };
    expect(line.level).toBe("error");
    expect(line.error.problems).toEqual([
      'PORT: expected a port number, got "eighty"',
      'AUTH_RATE_LOGIN_IP: expected LIMIT/WINDOW such as 20/1m, 5/30s or 100/1h, got "lots"',
    ]);
    const keys = await run(tsx, ["apps/auth/src/server.ts"], {
      cwd: root,
      env: env({ AUTH_SIGNING_KEYS: "{not json but secret-material-123" }),
    }).catch((e) => e);
    expect(keys.code).toBe(1);
    expect(keys.stderr).toContain("AUTH_SIGNING_KEYS");
    expect(keys.stderr).not.toContain("secret-material-123");
  });

  it("serves, reports pool metrics, and drains an in-flight request on SIGTERM before exiting 0", async () => {
    const port = await freePort();
    const server = spawnServer(tsx, ["apps/auth/src/server.ts"], {
      cwd: root,
      env: env({ PORT: String(port) }),
    });
    const base = `http://127.0.0.1:${port}`;
    try {
      await waitFor("auth to answer /healthz", async () => (await fetch(`${base}/healthz`)).ok, 20_000);
      expect(await (await fetch(`${base}/readyz`)).json()).toEqual({
        status: "ok",
        checks: { postgres: "ok", redis: "ok", lua_scripting: "ok" },
      });
      const metrics = await (await fetch(`${base}/metrics`)).text();
      expect(
        metricValue(metrics, "gomeet_db_pool_connections", { service: "auth", state: "idle" }),
      ).toBeGreaterThanOrEqual(1);
      expect(metrics).toContain("nodejs_eventloop_lag_seconds");

      // A request whose body is still arriving when SIGTERM comes must still get its answer.
      const body = JSON.stringify({ email: "slow@example.com", password: "some password" });
      const answer = new Promise<number>((resolve, reject) => {
        const req = request(
          `${base}/v1/auth/login`,
          { method: "POST", headers: { "content-type": "application/json", "content-length": body.length } },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on("error", reject);
        req.write(body.slice(0, 10));
        setTimeout(() => req.end(body.slice(10)), 700);
      });
      await new Promise((r) => setTimeout(r, 200));
      const exited = new Promise<number | null>((resolve) =>
        server.child.once("exit", (code) => resolve(code)),
      );
      const signalled = Date.now();
      server.child.kill("SIGTERM");
      expect(await answer).toBe(401);
      expect(await exited).toBe(0);
      // It exits once the request is answered, not at the 5 s drain deadline.
      expect(Date.now() - signalled).toBeLessThan(3_000);
      const lines = server
        .output()
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as { msg: string; service: string });
      expect(lines.map((l) => l.msg)).toEqual(
        expect.arrayContaining(["listening", "shutting down", "stopped"]),
      );
      expect(lines.every((l) => l.service === "auth")).toBe(true);
    } finally {
      await stopProcess(server.child);
    }
  });

  it.skipIf(process.platform !== "linux")(
    "hashes on AUTH_HASH_CONCURRENCY threads at AUTH_HASH_NICE, the event loop at the process's priority",
    async () => {
      const port = await freePort();
      // node itself rather than the tsx CLI, so the child's pid is the server's and /proc shows its threads.
      const server = spawnServer(process.execPath, ["--import", "tsx", "apps/auth/src/server.ts"], {
        cwd: root,
        env: env({ PORT: String(port), AUTH_HASH_CONCURRENCY: "2", AUTH_HASH_NICE: "15" }),
      });
      const base = `http://127.0.0.1:${port}`;
      try {
        await waitFor("auth to answer /healthz", async () => (await fetch(`${base}/healthz`)).ok, 20_000);
        const pid = server.child.pid!;
        const hashing = readdirSync(`/proc/${pid}/task`)
          .map(Number)
          .filter((tid) =>
            readFileSync(`/proc/${pid}/task/${tid}/comm`, "utf8").startsWith("gomeet-auth-has"),
          );
        expect(hashing).toHaveLength(2);
        for (const tid of hashing) expect(threadNice(tid, pid)).toBe(15);
        expect(threadNice(pid, pid)).toBe(getPriority());

        const post = (path: string, body: unknown) =>
          fetch(`${base}${path}`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify(body),
          });
        const user = { email: "threads@example.com", password: "hashed off the event loop" };
        expect((await post("/v1/auth/register", { ...user, displayName: "Threads" })).status).toBe(202);
        expect((await post("/v1/auth/login", user)).status).toBe(200);
        expect((await post("/v1/auth/login", { ...user, password: "not it" })).status).toBe(401);
        expect(
          (await post("/v1/auth/login", { email: "nobody@example.com", password: "x".repeat(12) })).status,
        ).toBe(401);

        const exited = new Promise<number | null>((resolve) =>
          server.child.once("exit", (code) => resolve(code)),
        );
        server.child.kill("SIGTERM");
        expect(await exited).toBe(0);
      } finally {
        await stopProcess(server.child);
      }
    },
  );
});
