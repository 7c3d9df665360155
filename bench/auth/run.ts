/**
 * Auth load harness: `npx tsx bench/auth/run.ts [--duration 10] [--concurrency 1,8,32] [--out bench/auth/RESULTS.md]`
 *
 * Starts a throwaway PostgreSQL and redis-server, runs the real auth server (`tsx apps/auth/src/server.ts`, a child
 * process) on a loopback port with its default argon2id cost, and drives it from this process: login (one argon2id
 * verification each), token refresh (rotation in one transaction), and an authenticated profile read. Every
 * scenario is bounded in time and only talks to 127.0.0.1. Results go to a Markdown file with the machine and
 * the command. Not part of the test run.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { AUTH_MIGRATIONS_DIR } from "../../apps/auth/src/migrate.ts";
import { createPasswordHasher, DEFAULT_ARGON2 } from "../../apps/auth/src/passwords.ts";
import { generateSigningKey } from "../../apps/auth/src/signing-keys.ts";
import { createDatabase, runMigrations } from "../../apps/shared/src/index.ts";
import { createTestDatabase, startPostgres } from "../../test/support/postgres.ts";
import { freePort, spawnServer, stopProcess, waitFor } from "../../test/support/processes.ts";
import { startRedis } from "../../test/support/redis.ts";
import { ISOLATION_MARKER } from "./results-sections.ts";

const root = join(import.meta.dirname, "../..");
const { values } = parseArgs({
  options: {
    duration: { type: "string", default: "10" },
    concurrency: { type: "string", default: "1,8,32" },
    users: { type: "string", default: "64" },
    out: { type: "string", default: join(root, "bench/auth/RESULTS.md") },
  },
});
const durationMs = Number(values.duration) * 1000;
const levels = values.concurrency.split(",").map(Number);
const userCount = Number(values.users);

interface Sample {
  ms: number;
  status: number;
}
interface Row {
  scenario: string;
  /** Server CPU (user + system, the whole process tree) per request, in ms: robust to other load on the machine. */
  serverCpuMs: number;
  concurrency: number;
  requests: number;
  errors: number;
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

const CLOCK_TICKS = Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim());

/** CPU seconds (user + system) used so far by `pid` and its descendants (tsx runs the server as a child). */
function treeCpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
    const own = (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
    const children = readdirSync(`/proc/${pid}/task`).flatMap((tid) =>
      readFileSync(`/proc/${pid}/task/${tid}/children`, "utf8")
        .trim()
        .split(/\s+/)
        .filter(Boolean)
        .map(Number),
    );
    return own + children.reduce((sum, child) => sum + treeCpuSeconds(child), 0);
  } catch {
    return 0;
  }
}

let serverPid = 0;

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

/** `concurrency` workers each run `step` back to back until the time is up. */
async function drive(
  scenario: string,
  concurrency: number,
  step: (worker: number) => Promise<number>,
): Promise<Row> {
  const samples: Sample[] = [];
  const cpuBefore = treeCpuSeconds(serverPid);
  const deadline = performance.now() + durationMs;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      while (performance.now() < deadline) {
        const t = performance.now();
        const status = await step(worker);
        samples.push({ ms: performance.now() - t, status });
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  const serverCpuMs = ((treeCpuSeconds(serverPid) - cpuBefore) * 1000) / Math.max(1, samples.length);
  const ok = samples
    .filter((s) => s.status < 400)
    .map((s) => s.ms)
    .sort((a, b) => a - b);
  return {
    scenario,
    serverCpuMs,
    concurrency,
    requests: samples.length,
    errors: samples.length - ok.length,
    rps: samples.length / elapsed,
    p50: percentile(ok, 50),
    p90: percentile(ok, 90),
    p99: percentile(ok, 99),
    max: ok.at(-1) ?? 0,
  };
}

async function main() {
  const loadBefore = loadavg()[0] ?? 0;
  const pg = await startPostgres();
  const redis = await startRedis();
  const database = await createTestDatabase(pg.adminUrl, "bench_auth");
  const migrator = createDatabase({ url: database.url, max: 1 });
  await runMigrations(migrator.sql, AUTH_MIGRATIONS_DIR);
  await migrator.close();

  const port = await freePort();
  const generous = "1000000/1m";
  const server = spawnServer(join(root, "node_modules/.bin/tsx"), ["apps/auth/src/server.ts"], {
    cwd: root,
    env: {
      PATH: process.env.PATH,
      PORT: String(port),
      HOST: "127.0.0.1",
      LOG_LEVEL: "warn",
      DATABASE_URL: database.url,
      REDIS_URL: redis.url,
      AUTH_ISSUER: "https://auth.bench.test",
      AUTH_SIGNING_KEYS: JSON.stringify({ keys: [await generateSigningKey("EdDSA")] }),
      AUTH_RATE_LOGIN_IP: generous,
      AUTH_RATE_LOGIN_ACCOUNT: generous,
      AUTH_RATE_REGISTER_IP: generous,
      AUTH_RATE_REFRESH_IP: generous,
      AUTH_RATE_REFRESH_ACCOUNT: generous,
    },
  });
  serverPid = server.child.pid ?? 0;
  const base = `http://127.0.0.1:${port}`;
  const rows: Row[] = [];
  try {
    await waitFor("auth /healthz", async () => (await fetch(`${base}/healthz`)).ok, 30_000);
    const post = (path: string, body: unknown, token?: string) =>
      fetch(`${base}${path}`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify(body),
      });

    const users = Array.from({ length: userCount }, (_, i) => ({
      email: `bench${i}@example.com`,
      password: `bench password ${i}`,
    }));
    for (const u of users) await post("/v1/auth/register", { ...u, displayName: u.email });

    // argon2id alone, in this process, one at a time: the floor under every login.
    const hasher = await createPasswordHasher(DEFAULT_ARGON2);
    const hashTimes: number[] = [];
    const hashCpuBefore = process.cpuUsage();
    for (let i = 0; i < 30; i++) {
      const t = performance.now();
      await hasher.hash(`password ${i}`);
      hashTimes.push(performance.now() - t);
    }
    const hashCpu = process.cpuUsage(hashCpuBefore);
    const hashCpuMs = (hashCpu.user + hashCpu.system) / 1000 / hashTimes.length;
    hashTimes.sort((a, b) => a - b);

    for (const c of levels) {
      rows.push(
        await drive("login (argon2id verify + session insert)", c, async (w) => {
          const u = users[(w * 7 + Math.floor(Math.random() * userCount)) % userCount]!;
          const res = await post("/v1/auth/login", u);
          await res.arrayBuffer();
          return res.status;
        }),
      );
    }

    for (const c of levels) {
      const chains = await Promise.all(
        Array.from({ length: c }, async (_, w) => {
          const res = await post("/v1/auth/login", users[w % userCount]);
          return (await res.json()) as { refreshToken: string; accessToken: string };
        }),
      );
      rows.push(
        await drive("refresh (rotate in one transaction + sign)", c, async (w) => {
          const res = await post("/v1/auth/refresh", { refreshToken: chains[w]!.refreshToken });
          if (res.status === 200)
            chains[w] = (await res.json()) as { refreshToken: string; accessToken: string };
          else await res.arrayBuffer();
          return res.status;
        }),
      );
      rows.push(
        await drive("GET /v1/users/me (verify + session check)", c, async (w) => {
          const res = await fetch(`${base}/v1/users/me`, {
            headers: { authorization: `Bearer ${chains[w]!.accessToken}` },
          });
          await res.arrayBuffer();
          return res.status;
        }),
      );
    }

    const nproc = execFileSync("nproc").toString().trim();
    const f = (n: number) => n.toFixed(1);
    const cpuOf = (prefix: string) => {
      const matching = rows.filter((r) => r.scenario.startsWith(prefix));
      return (
        matching.reduce((sum, r) => sum + r.serverCpuMs * r.requests, 0) /
        Math.max(
          1,
          matching.reduce((sum, r) => sum + r.requests, 0),
        )
      );
    };
    const [loginCpu, refreshCpu, meCpu] = [cpuOf("login"), cpuOf("refresh"), cpuOf("GET")];
    const ceiling = (cpuMs: number) => ((Number(nproc) * 1000) / Math.max(cpuMs, 0.001)).toFixed(0);
    const table = rows
      .map(
        (r) =>
          `| ${r.scenario} | ${r.concurrency} | ${r.requests} | ${r.errors} | ${f(r.rps)} | ${f(r.p50)} | ${f(r.p90)} | ${f(r.p99)} | ${f(r.max)} | ${f(r.serverCpuMs)} |`,
      )
      .join("\n");
    const report = `# Auth service load results

Written by \`bench/auth/run.ts\`; rerun it to replace this file.

- Command: \`npx tsx bench/auth/run.ts --duration ${values.duration} --concurrency ${values.concurrency} --users ${userCount}\`
- Date: ${new Date().toISOString()}
- Machine: \`nproc\` = ${nproc}, ${cpus()[0]?.model ?? "unknown CPU"}, ${Math.round(totalmem() / 2 ** 30)} GiB RAM; \`node --version\` = ${process.version}
- Load average (1 min) before the run: ${loadBefore.toFixed(2)}, after: ${(loadavg()[0] ?? 0).toFixed(2)} (anything well above 0 means other work shared the cores).
- Setup: the real server (\`tsx apps/auth/src/server.ts\`, one process) with PostgreSQL ${execFileSync("sh", ["-c", "ls /usr/lib/postgresql"]).toString().trim()} (fsync off, throwaway cluster) and redis-server on the same machine; the load generator (this script, fetch with keep-alive) shares the same ${nproc} cores, so numbers are per-machine, not per-server-core.
- argon2id cost: m=${DEFAULT_ARGON2.memoryCost} KiB, t=${DEFAULT_ARGON2.timeCost}, p=${DEFAULT_ARGON2.parallelism} (OWASP ASVS 5.0 Appendix C minimum). One hash alone in this process: p50 ${f(percentile(hashTimes, 50))} ms wall, p90 ${f(percentile(hashTimes, 90))} ms, ${f(hashCpuMs)} ms of CPU, over ${hashTimes.length} hashes.
- Each scenario ran ${values.duration} s per concurrency level; rate limits were raised so that only the work is measured. Latencies are of successful requests, in ms. "server CPU" is the CPU time (user + system) the server process used per request, read from /proc: unlike wall-clock numbers it does not grow when other work shares the machine.

| scenario | concurrency | requests | errors | req/s | p50 | p90 | p99 | max | server CPU ms/req |
|---|---|---|---|---|---|---|---|---|---|
${table}

## Reading

- Server CPU per request: login ${f(loginCpu)} ms, refresh ${f(refreshCpu)} ms, authenticated read ${f(meCpu)} ms. On ${nproc}
  cores with nothing else running, that caps one auth process at about ${ceiling(loginCpu)} logins/s, ${ceiling(refreshCpu)} refreshes/s
  or ${ceiling(meCpu)} authenticated reads/s (PostgreSQL, Redis and the load generator take their share of the same cores here).
- Login is bound by argon2id (${f(hashCpuMs)} ms of CPU per hash): each login runs one verification on libuv's
  thread pool, so once the cores are busy hashing, extra concurrency only adds queueing latency. That is the
  intended cost of a password guess; the per-address and per-account limits keep it from becoming a
  denial-of-service lever (docs/services/auth.md).
- Refresh does no password hashing: one SHA-256, one transaction (select for update, two writes) and one EdDSA
  signature.
`;
    // Keep the login-isolation section bench/auth/isolation.ts writes below its marker.
    const previous = existsSync(values.out) ? readFileSync(values.out, "utf8") : "";
    const marker = previous.indexOf(ISOLATION_MARKER);
    writeFileSync(values.out, report + (marker >= 0 ? `\n${previous.slice(marker)}` : ""));
    // The repository's formatter also formats Markdown (aligned tables): keep the file lint-clean.
    try {
      execFileSync(join(root, "node_modules/.bin/biome"), ["format", "--write", values.out], {
        stdio: "ignore",
      });
    } catch {
      process.stderr.write(`note: biome did not format ${values.out} (outside the repository?)\n`);
    }
    process.stdout.write(report);
  } finally {
    await stopProcess(server.child);
    await database.drop();
    await redis.stop();
    await pg.stop();
  }
}

await main();
