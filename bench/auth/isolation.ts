/**
 * Reads during a login storm: `npx tsx bench/auth/isolation.ts [--read-rate 50] [--login-rate 150] [--seconds 15]
 * [--rounds 2] [--users 40] [--profile] [--pin] [--out bench/auth/RESULTS.md]` (`--help` prints this).
 *
 * Starts a throwaway PostgreSQL and redis-server and runs the real auth server (`apps/auth/src/server.ts`, its own
 * process, loopback port) twice, both with the hashing pool at its defaults (AUTH_HASH_CONCURRENCY = cores − 1,
 * AUTH_HASH_QUEUE = 8 per slot): with the hashing threads at their default nice value (AUTH_HASH_NICE = 19) and,
 * as the baseline, at nice 0, the event loop's own priority. For each: `GET /v1/users/me` at `read-rate` per
 * second, open loop (latency from the intended send time), first idle, then while logins arrive at `login-rate`
 * per second, above what the hashing pool can serve, sent from a thread of their own (login-storm-worker.ts); idle
 * and storm alternate for `rounds`. The hashing threads' nice values are read from /proc/<pid>/task/<tid>/stat of
 * the running server. With `--profile` both servers run under `node --cpu-prof` (profiles in temporary directories
 * outside the repository; the section summarises the default server's). With `--pin` (Linux, `taskset`, at least 2
 * CPUs) the server gets the last CPU to itself and this script, PostgreSQL and redis-server share the others, so
 * the load generator's and the databases' own CPU time stops competing with the server's event loop — the
 * situation of an auth pod on its own cores. Writes its section of RESULTS.md between two markers
 * (results-sections.ts); bench/auth/run.ts keeps it and the hand-written notes below it. Bounded in count and
 * time; only 127.0.0.1.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus, loadavg, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Worker } from "node:worker_threads";
import { AUTH_MIGRATIONS_DIR } from "../../apps/auth/src/migrate.ts";
import { generateSigningKey } from "../../apps/auth/src/signing-keys.ts";
import { createDatabase, runMigrations } from "../../apps/shared/src/index.ts";
import { createTestDatabase, startPostgres } from "../../test/support/postgres.ts";
import { freePort, spawnServer, stopProcess, waitFor } from "../../test/support/processes.ts";
import { startRedis } from "../../test/support/redis.ts";
import { largestProfile, profileMarkdown, summarizeProfile } from "../meetings/cpu-profile.ts";
import { type LatencySummary, openLoop, statusText } from "../meetings/load-patterns.ts";
import type { LoginStormInput } from "./login-storm-worker.ts";
import { ISOLATION_MARKER, ISOLATION_NOTES_MARKER } from "./results-sections.ts";

const root = join(import.meta.dirname, "../..");
const { values } = parseArgs({
  options: {
    "read-rate": { type: "string", default: "50" },
    "login-rate": { type: "string", default: "150" },
    seconds: { type: "string", default: "15" },
    rounds: { type: "string", default: "2" },
    users: { type: "string", default: "40" },
    profile: { type: "boolean", default: false },
    pin: { type: "boolean", default: false },
    out: { type: "string", default: join(root, "bench/auth/RESULTS.md") },
    help: { type: "boolean", default: false },
  },
});
if (values.help) {
  const source = readFileSync(new URL(import.meta.url), "utf8");
  process.stdout.write(
    `${(source.match(/\/\*\*([\s\S]*?)\*\//)?.[1] ?? "").replace(/^ \* ?/gm, "").trim()}\n`,
  );
  process.exit(0);
}
const readRate = Number(values["read-rate"]);
const loginRate = Number(values["login-rate"]);
const seconds = Number(values.seconds);
const rounds = Number(values.rounds);
const userCount = Number(values.users);
const load = () => (loadavg()[0] ?? 0).toFixed(2);
const progress = (line: string) => process.stderr.write(`[auth isolation] ${line}\n`);
const loadBefore = load();
/** Read before --pin narrows this process's CPUs, so the section names the machine, not the pinned share. */
const machine = `\`nproc\` = ${execFileSync("nproc").toString().trim()} (os.availableParallelism() = ${availableParallelism()}), ${cpus()[0]?.model ?? "unknown CPU"}, ${Math.round(totalmem() / 2 ** 30)} GiB RAM; node ${process.version}`;

interface Row {
  server: string;
  phase: string;
  reads: LatencySummary;
  logins?: LatencySummary;
  load: string;
}

const ARMS = [
  { server: "bounded, hashing at nice 19 (defaults)", env: {} as Record<string, string> },
  // The same server with its hashing threads left at the event loop's priority: what the nice value buys.
  { server: "bounded, hashing at nice 0", env: { AUTH_HASH_NICE: "0" } },
];

/** The nice values of a server's hashing threads (named by hashing-worker.ts), from /proc; empty off Linux. */
function hashingThreadNice(pid: number): number[] {
  if (!existsSync(`/proc/${pid}/task`)) return [];
  return readdirSync(`/proc/${pid}/task`)
    .filter((tid) => readFileSync(`/proc/${pid}/task/${tid}/comm`, "utf8").startsWith("gomeet-auth-has"))
    .map((tid) => {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
      return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19 - 3]);
    });
}
const niceOf = new Map<string, number[]>();

/** With --pin: the CPU the server runs on alone; this process (and the databases it starts) get the rest. */
const serverCpu = values.pin ? pinAwayFromServer() : undefined;

function pinAwayFromServer(): number {
  const allowed = execFileSync("taskset", ["-p", "-c", String(process.pid)])
    .toString()
    .split(":")[1]
    ?.trim();
  const cpusAllowed = (allowed ?? "").split(",").flatMap((part) => {
    const [from, to] = part.split("-").map(Number) as [number, number | undefined];
    return Array.from({ length: (to ?? from) - from + 1 }, (_, i) => from + i);
  });
  const last = cpusAllowed.at(-1);
  if (last === undefined || cpusAllowed.length < 2)
    throw new Error(`--pin: needs at least 2 CPUs in this process's affinity list, got "${allowed}"`);
  // -a: every thread of this process, so libuv's and V8's threads move too; children inherit the mask.
  execFileSync("taskset", ["-a", "-p", "-c", cpusAllowed.slice(0, -1).join(","), String(process.pid)]);
  progress(
    `pinned: auth server on CPU ${last}; load generator, PostgreSQL and redis-server on ${cpusAllowed.slice(0, -1).join(",")}`,
  );
  return last;
}

/** The storm's client on its own thread (login-storm-worker.ts), so it does not delay the reads' event loop. */
function loginStorm(input: LoginStormInput): Promise<LatencySummary> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL("./login-storm-worker.ts", import.meta.url), { workerData: input });
    worker.once("message", (summary: LatencySummary) => resolve(summary));
    worker.once("error", reject);
    worker.once("exit", (code) => {
      if (code !== 0) reject(new Error(`login storm worker exited with code ${code}`));
    });
  });
}

const pg = await startPostgres();
const redis = await startRedis();
const rows: Row[] = [];
/** Every server runs under the profiler with --profile, so both pay its cost; RESULTS.md shows the first's. */
const profileFiles = new Map<string, string>();
try {
  for (const arm of ARMS) {
    const database = await createTestDatabase(pg.adminUrl, "bench_auth_isolation");
    const migrator = createDatabase({ url: database.url, max: 1 });
    await runMigrations(migrator.sql, AUTH_MIGRATIONS_DIR);
    await migrator.close();
    const port = await freePort();
    const generous = "1000000/1m";
    const profileDir = values.profile ? mkdtempSync(join(tmpdir(), "gomeet-auth-profile-")) : undefined;
    const server = spawnServer(
      serverCpu === undefined ? process.execPath : "taskset",
      [
        ...(serverCpu === undefined ? [] : ["-c", String(serverCpu), process.execPath]),
        ...(profileDir ? ["--cpu-prof", "--cpu-prof-dir", profileDir] : []),
        "--import",
        "tsx",
        "apps/auth/src/server.ts",
      ],
      {
        cwd: root,
        env: {
          PATH: process.env.PATH,
          PORT: String(port),
          HOST: "127.0.0.1",
          LOG_LEVEL: "warn",
          SHUTDOWN_DRAIN_MS: "1000",
          DATABASE_URL: database.url,
          REDIS_URL: redis.url,
          AUTH_ISSUER: "https://auth.bench.test",
          AUTH_SIGNING_KEYS: JSON.stringify({ keys: [await generateSigningKey("EdDSA")] }),
          AUTH_RATE_LOGIN_IP: generous,
          AUTH_RATE_LOGIN_ACCOUNT: generous,
          AUTH_RATE_REGISTER_IP: generous,
          AUTH_RATE_REFRESH_IP: generous,
          AUTH_RATE_REFRESH_ACCOUNT: generous,
          ...arm.env,
        },
      },
    );
    const base = `http://127.0.0.1:${port}`;
    try {
      await waitFor(
        "auth /healthz",
        async () => {
          if (server.child.exitCode !== null) throw new Error(`auth exited:\n${server.output()}`);
          return (await fetch(`${base}/healthz`)).ok;
        },
        60_000,
      );
      niceOf.set(arm.server, hashingThreadNice(server.child.pid ?? 0));
      const post = (path: string, body: unknown, signal?: AbortSignal) =>
        fetch(`${base}${path}`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body),
          ...(signal ? { signal } : {}),
        });
      const users = Array.from({ length: userCount }, (_, i) => ({
        email: `reader${i}@example.com`,
        password: `bench password ${i}`,
      }));
      const tokens: string[] = [];
      for (const u of users) {
        await (await post("/v1/auth/register", { ...u, displayName: u.email })).arrayBuffer();
        const res = await post("/v1/auth/login", u);
        tokens.push(((await res.json()) as { accessToken: string }).accessToken);
      }
      const readMe = async (i: number, signal: AbortSignal) => {
        const res = await fetch(`${base}/v1/users/me`, {
          headers: { authorization: `Bearer ${tokens[i % tokens.length]}` },
          signal,
        });
        await res.arrayBuffer();
        return res.status;
      };
      progress(`${arm.server}: warming up`);
      await openLoop({ rate: readRate, count: readRate * 2, send: readMe });
      for (let r = 1; r <= rounds; r++) {
        progress(`${arm.server}: round ${r}, idle reads`);
        const idle = await openLoop({ rate: readRate, count: readRate * seconds, send: readMe });
        rows.push({ server: arm.server, phase: `idle, round ${r}`, reads: idle, load: load() });
        progress(`${arm.server}: round ${r}, reads during ${loginRate} logins/s`);
        const [reads, logins] = await Promise.all([
          openLoop({ rate: readRate, count: readRate * seconds, send: readMe }),
          loginStorm({ base, users, rate: loginRate, count: loginRate * seconds }),
        ]);
        rows.push({ server: arm.server, phase: `login storm, round ${r}`, reads, logins, load: load() });
      }
    } finally {
      await stopProcess(server.child, 15_000);
      await database.drop();
    }
    const profiled = profileDir ? largestProfile(profileDir) : undefined;
    if (profiled) profileFiles.set(arm.server, profiled);
  }
} finally {
  await redis.stop();
  await pg.stop();
}

const f = (n: number) => n.toFixed(1);
/** A percentile of reads, averaged over every round of one server and phase kind. */
const readsOf = (server: string, phase: string, pick: (s: LatencySummary) => number) => {
  const of = rows.filter((r) => r.server === server && r.phase.startsWith(phase));
  return of.reduce((sum, r) => sum + pick(r.reads), 0) / Math.max(1, of.length);
};
const ratioLines = ARMS.map(({ server }) => {
  const [idle, storm] = ["idle", "login storm"].map((phase) => readsOf(server, phase, (s) => s.p99)) as [
    number,
    number,
  ];
  const [idle50, storm50] = ["idle", "login storm"].map((phase) => readsOf(server, phase, (s) => s.p50)) as [
    number,
    number,
  ];
  return `- ${server}: \`GET /v1/users/me\` p99 idle ${f(idle)} ms, during the login storm ${f(storm)} ms: **${(storm / Math.max(0.001, idle)).toFixed(2)}× idle** (target ≤ 1.2×; mean of the rounds' p99); p50 ${f(idle50)} → ${f(storm50)} ms.`;
});
const command = `npx tsx bench/auth/isolation.ts --read-rate ${readRate} --login-rate ${loginRate} --seconds ${seconds} --rounds ${rounds} --users ${userCount}${values.profile ? " --profile" : ""}${values.pin ? " --pin" : ""}`;
const profileFile = profileFiles.get(ARMS[0]?.server ?? "");
const section = [
  ISOLATION_MARKER,
  "",
  "## Reads during a login storm (login isolation)",
  "",
  "Written by `bench/auth/isolation.ts` (this section only).",
  "",
  `- Command: \`${command}\``,
  `- Date: ${new Date().toISOString()}`,
  `- Machine: ${machine}`,
  `- Load average (1 min) before: ${loadBefore}, after: ${load()}; per phase in the table (other work shared the cores when well above 0).`,
  `- Setup: ${
    serverCpu === undefined
      ? "the real auth server as its own process with PostgreSQL 15 (throwaway) and redis-server on the same machine; the load generator (this script) shares the cores."
      : `the real auth server as its own process, pinned to CPU ${serverCpu} alone (\`taskset\`); PostgreSQL 15 (throwaway), redis-server and the load generator (this script) pinned to the other CPUs.`
  } Reads and logins are open loop: each latency counts from the intended send time; the logins come from a thread of their own (login-storm-worker.ts).`,
  `- Servers: both with the hashing pool at its defaults; the hashing threads' nice values, read from /proc while each ran: ${ARMS.map(({ server }) => `${server}: ${niceOf.get(server)?.join(", ") || "not readable"}`).join("; ")}.`,
  `- Reads: \`GET /v1/users/me\` at ${readRate}/s for ${seconds} s per phase. Storm: logins at ${loginRate}/s (above one server's hashing capacity here) for the same ${seconds} s. Idle and storm alternate, ${rounds} rounds per server.`,
  "",
  "| server | phase | reads | read statuses | read p50 ms | read p90 ms | read p99 ms | read max ms | logins | login statuses | login p99 ms | load avg 1 min after |",
  "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
  ...rows.map(
    (r) =>
      `| ${r.server} | ${r.phase} | ${r.reads.requests} | ${statusText(r.reads.statuses)} | ${f(r.reads.p50)} | ${f(r.reads.p90)} | ${f(r.reads.p99)} | ${f(r.reads.max)} | ${r.logins?.requests ?? "—"} | ${r.logins ? statusText(r.logins.statuses) : "—"} | ${r.logins ? f(r.logins.p99) : "—"} | ${r.load} |`,
  ),
  "",
  ...ratioLines,
  ...(profileFile
    ? [
        "",
        `Profile of the ${ARMS[0]?.server} server over the whole run (\`node --cpu-prof\`):`,
        "",
        ...profileMarkdown(summarizeProfile(profileFile, 12)),
      ]
    : []),
  "",
].join("\n");
const previous = existsSync(values.out) ? readFileSync(values.out, "utf8") : "";
const marker = previous.indexOf(ISOLATION_MARKER);
const above =
  marker >= 0 ? previous.slice(0, marker) : previous.length > 0 ? `${previous.trimEnd()}\n\n` : "";
const notesAt = previous.indexOf(ISOLATION_NOTES_MARKER);
const notes = notesAt >= 0 ? `\n${previous.slice(notesAt)}` : "";
writeFileSync(values.out, above + section + notes);
process.stdout.write(section);
for (const file of profileFiles.values()) progress(`profile kept at ${file} (outside the repository)`);
process.exit(0);
