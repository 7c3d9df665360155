/**
 * Join bench against its physical baseline: `npx tsx bench/meetings/joins.ts [--rate 100] [--seconds 20]
 * [--concurrency 32] [--saturate-seconds 10] [--rounds 2] [--meetings 10] [--members 200] [--profile]
 * [--out bench/meetings/RESULTS.md]`
 *
 * Starts a throwaway PostgreSQL, redis-server, a TLS redis and one livekit-server (rendered staging livekit.yaml),
 * then two servers as their own processes on loopback ports: the real meetings server
 * (`apps/meetings/src/server.ts`, the full join: token verification, membership, the Redis seat script, the
 * created-room mark or CreateRoom, the LiveKit token) and bench/meetings/bare-join-server.ts (the same token
 * verification and LiveKit signing, nothing else). Both verify tokens through a JWKS this process serves.
 * Measured in the same run, alternating: saturation (closed loop, `concurrency` in flight) of bare and real, then
 * an open loop at `rate` joins/s against each (latency from the intended send time). With `--profile` the real
 * server runs under `node --cpu-prof` (profiles in a temporary directory outside the repository) and the
 * summary of where its CPU went is written beside the figures. Bounded in count and time; only 127.0.0.1.
 */

import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import { createServer } from "node:http";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { generateSigningKey, loadSigningKeys } from "../../apps/auth/src/signing-keys.ts";
import { TokenIssuer } from "../../apps/auth/src/tokens.ts";
import { MEETINGS_MIGRATIONS_DIR } from "../../apps/meetings/src/migrate.ts";
import { createDatabase, runMigrations } from "../../apps/shared/src/index.ts";
import { iceRange, loopbackLiveKitInput, startLiveKitNode } from "../../test/media/support/livekit-node.ts";
import { liveKitInput } from "../../test/media/support/stack-inputs.ts";
import { startTlsRedis } from "../../test/media/support/tls-redis.ts";
import { createTestDatabase, startPostgres } from "../../test/support/postgres.ts";
import { freePort, spawnServer, stopProcess, waitFor } from "../../test/support/processes.ts";
import { startRedis } from "../../test/support/redis.ts";
import { largestProfile, profileMarkdown, summarizeProfile } from "./cpu-profile.ts";
import { closedLoop, type LatencySummary, openLoop, type Send, statusText } from "./load-patterns.ts";
import { JOINS_MARKER, writeResultsSection } from "./results-sections.ts";

const root = join(import.meta.dirname, "../..");
const { values } = parseArgs({
  options: {
    rate: { type: "string", default: "100" },
    seconds: { type: "string", default: "20" },
    concurrency: { type: "string", default: "32" },
    "saturate-seconds": { type: "string", default: "10" },
    rounds: { type: "string", default: "2" },
    meetings: { type: "string", default: "10" },
    members: { type: "string", default: "200" },
    profile: { type: "boolean", default: false },
    out: { type: "string", default: join(root, "bench/meetings/RESULTS.md") },
  },
});
const rate = Number(values.rate);
const openSeconds = Number(values.seconds);
const concurrency = Number(values.concurrency);
const saturateMs = Number(values["saturate-seconds"]) * 1000;
const rounds = Number(values.rounds);
const meetingCount = Number(values.meetings);
const memberCount = Number(values.members);
const load = () => (loadavg()[0] ?? 0).toFixed(2);
const progress = (line: string) => process.stderr.write(`[joins] ${line}\n`);
const loadBefore = load();

const pg = await startPostgres();
const database = await createTestDatabase(pg.adminUrl, "meetings_joins_bench");
const redisServer = await startRedis();
const tlsRedis = await startTlsRedis();
const realPort = await freePort();
const barePort = await freePort();
const base = liveKitInput("staging");
const node = await startLiveKitNode(
  await loopbackLiveKitInput(base, {
    redis: tlsRedis,
    udpPortRange: iceRange(0),
    loopbackCandidates: true,
    webhookUrl: `http://127.0.0.1:${realPort}/livekit/webhook`,
  }),
);
const db = createDatabase({ url: database.url, max: 4 });
await runMigrations(db.sql, MEETINGS_MIGRATIONS_DIR);

const keys = await loadSigningKeys(JSON.stringify({ keys: [await generateSigningKey("EdDSA")] }), undefined);
const issuer = new TokenIssuer({
  keys,
  issuer: "https://auth.bench",
  audience: "gomeet",
  accessTokenTtlSeconds: 3600,
  chatTicketTtlSeconds: 60,
});
const jwksPort = await freePort();
const jwks = createServer((_req, res) => {
  res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(keys.publicJwks));
});
await new Promise<void>((resolve) => jwks.listen(jwksPort, "127.0.0.1", resolve));

const profileDir = values.profile ? mkdtempSync(join(tmpdir(), "gomeet-joins-profile-")) : undefined;
const serverEnv = {
  PATH: process.env.PATH,
  HOST: "127.0.0.1",
  LOG_LEVEL: "warn",
  SHUTDOWN_DRAIN_MS: "1000",
  DATABASE_URL: database.url,
  REDIS_URL: redisServer.url,
  AUTH_JWKS_URL: `http://127.0.0.1:${jwksPort}/.well-known/jwks.json`,
  AUTH_ISSUER: "https://auth.bench",
  LIVEKIT_URL: node.wsUrl,
  LIVEKIT_API_URL: node.url,
  LIVEKIT_API_KEY: base.apiKey,
  LIVEKIT_API_SECRET: base.apiSecret,
  RECORDINGS_BUCKET: "bench-recordings",
  RECORDINGS_ACCESS_KEY: "bench",
  RECORDINGS_SECRET_KEY: "bench-secret",
};
const nodeArgs = (script: string, profiled: boolean) => [
  ...(profiled && profileDir ? ["--cpu-prof", "--cpu-prof-dir", profileDir] : []),
  "--import",
  "tsx",
  script,
];
const real = spawnServer(process.execPath, nodeArgs("apps/meetings/src/server.ts", true), {
  cwd: root,
  env: { ...serverEnv, PORT: String(realPort) },
});
const bare = spawnServer(process.execPath, nodeArgs("bench/meetings/bare-join-server.ts", false), {
  cwd: root,
  env: { ...serverEnv, PORT: String(barePort) },
});
const CLOCK_TICKS = Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim());
/** CPU seconds (user + system) a server process used so far: unlike latency, not inflated by other work. */
function cpuSeconds(pid: number | undefined): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}
const realUrl = `http://127.0.0.1:${realPort}`;
const bareUrl = `http://127.0.0.1:${barePort}`;

/** Meetings live now, each with `memberCount` attendees and their access tokens. */
async function seed(): Promise<{ meetingId: string; token: string }[]> {
  const work: { meetingId: string; token: string }[][] = [];
  for (let m = 0; m < meetingCount; m++) {
    const [row] = await db.sql<{ id: string }[]>`
      insert into meetings (owner_id, title, starts_at, duration_minutes, capacity, mode, state, started_at)
      values (${randomUUID()}, 'bench', now(), 60, 500, 'meeting', 'live', now()) returning id`;
    const users = Array.from({ length: memberCount }, () => randomUUID());
    await db.sql`insert into meeting_members ${db.sql(users.map((u) => ({ meeting_id: row!.id, user_id: u, role: "attendee" })))}`;
    work.push(
      await Promise.all(
        users.map(async (u) => ({
          meetingId: row!.id,
          token: (await issuer.accessToken({ id: u, roles: ["member"] }, randomUUID())).token,
        })),
      ),
    );
  }
  // Interleaved: consecutive joins go to different meetings, as in a morning rush.
  return Array.from({ length: memberCount }, (_, j) => work.map((w) => w[j]!)).flat();
}

const joinTo =
  (url: string, work: { meetingId: string; token: string }[]): Send =>
  async (i, signal) => {
    const item = work[i % work.length]!;
    const res = await fetch(`${url}/v1/meetings/${item.meetingId}/join`, {
      method: "POST",
      headers: { authorization: `Bearer ${item.token}` },
      signal,
    });
    await res.arrayBuffer();
    return res.status;
  };

interface Row {
  phase: string;
  target: "bare" | "real";
  summary: LatencySummary;
  /** Server CPU per request, ms. */
  cpuMs: number;
  load: string;
}

const rows: Row[] = [];
try {
  for (const [what, url, child] of [
    ["meetings", realUrl, real],
    ["bare", bareUrl, bare],
  ] as const) {
    await waitFor(
      `${what} server`,
      async () => {
        if (child.child.exitCode !== null) throw new Error(`${what} exited:\n${child.output()}`);
        return (await fetch(`${url}/v1/meetings/${randomUUID()}/join`, { method: "POST" })).status === 401;
      },
      60_000,
    );
  }
  const work = await seed();
  progress(`seeded ${meetingCount} meetings × ${memberCount} members; placing their rooms`);
  // Every meeting's room created first: 500-seat rooms are placed one per MEETINGS_PLACEMENT_SPACING_MS
  // (2.5 s) cluster-wide, which bench/meetings/precreate.ts measures; here the steady join path is measured.
  for (let m = 0; m < meetingCount; m++) {
    const status = await joinTo(realUrl, work)(m, AbortSignal.timeout(60_000));
    if (status !== 200) throw new Error(`placing the room of meeting ${m + 1} answered ${status}`);
  }
  progress("warming up");
  // Both servers' code paths compiled before anything is measured.
  for (const url of [realUrl, bareUrl])
    await closedLoop({ concurrency: 8, durationMs: 3000, send: joinTo(url, work) });

  for (let r = 1; r <= rounds; r++) {
    for (const [target, url] of [
      ["bare", bareUrl],
      ["real", realUrl],
    ] as const) {
      progress(`saturation round ${r}: ${target}, ${concurrency} in flight for ${saturateMs / 1000} s`);
      const pid = (target === "real" ? real : bare).child.pid;
      const cpu = cpuSeconds(pid);
      const summary = await closedLoop({ concurrency, durationMs: saturateMs, send: joinTo(url, work) });
      const cpuMs = ((cpuSeconds(pid) - cpu) * 1000) / Math.max(1, summary.requests);
      rows.push({ phase: `saturation, round ${r}`, target, summary, cpuMs, load: load() });
    }
  }
  for (const [target, url] of [
    ["bare", bareUrl],
    ["real", realUrl],
  ] as const) {
    progress(`open loop: ${target}, ${rate} joins/s for ${openSeconds} s`);
    const pid = (target === "real" ? real : bare).child.pid;
    const cpu = cpuSeconds(pid);
    const summary = await openLoop({ rate, count: rate * openSeconds, send: joinTo(url, work) });
    const cpuMs = ((cpuSeconds(pid) - cpu) * 1000) / Math.max(1, summary.requests);
    rows.push({ phase: `open loop ${rate}/s`, target, summary, cpuMs, load: load() });
  }
} finally {
  await stopProcess(real.child, 15_000);
  await stopProcess(bare.child);
  jwks.close();
  await node.stop();
  await tlsRedis.stop();
  await db.close();
  await redisServer.stop();
  await database.drop();
  await pg.stop();
}

const loadAfter = load();
const saturated = (target: "bare" | "real") => {
  const of = rows.filter((r) => r.target === target && r.phase.startsWith("saturation"));
  const requests = of.reduce((s, r) => s + (r.summary.statuses[200] ?? 0), 0);
  return requests / of.reduce((s, r) => s + r.summary.seconds, 0);
};
const cpuOf = (target: "bare" | "real") => {
  const of = rows.filter((r) => r.target === target && r.phase.startsWith("saturation"));
  return (
    of.reduce((s, r) => s + r.cpuMs * r.summary.requests, 0) / of.reduce((s, r) => s + r.summary.requests, 0)
  );
};
const ratio = saturated("real") / Math.max(1e-9, saturated("bare"));
const open = rows.find((r) => r.target === "real" && r.phase.startsWith("open"))?.summary;
const profileFile = profileDir ? largestProfile(profileDir) : undefined;
const f = (n: number) => n.toFixed(1);
const command = `npx tsx bench/meetings/joins.ts --rate ${rate} --seconds ${openSeconds} --concurrency ${concurrency} --saturate-seconds ${saturateMs / 1000} --rounds ${rounds} --meetings ${meetingCount} --members ${memberCount}${values.profile ? " --profile" : ""}`;
const lines = [
  JOINS_MARKER,
  "",
  "## Joins against the bare sign endpoint",
  "",
  "Written by `bench/meetings/joins.ts` (this section only).",
  "",
  `- Command: \`${command}\``,
  `- Date: ${new Date().toISOString()}`,
  `- Machine: \`nproc\` = ${execFileSync("nproc").toString().trim()}, ${cpus()[0]?.model ?? "unknown CPU"}, ${Math.round(totalmem() / 2 ** 30)} GiB RAM; node ${process.version}`,
  `- Load average (1 min) before: ${loadBefore}, after: ${loadAfter}; per phase in the table (other work shared the cores when well above 0).`,
  "- Setup: the real meetings server and the bare endpoint as separate processes on the same machine, with PostgreSQL 15 (throwaway), redis-server and one livekit-server v1.13.5; the load generator (this script, fetch with keep-alive) shares the cores. Tokens verified through a JWKS served over loopback, as in the cluster.",
  `- Saturation: ${concurrency} joins in flight for ${saturateMs / 1000} s per target, bare and real alternating, ${rounds} rounds. Open loop: ${rate} joins/s for ${openSeconds} s per target, latency from each join's intended send time.`,
  "",
  "| phase | target | joins | statuses | joins/s | p50 ms | p90 ms | p99 ms | max ms | server CPU ms/join | load avg 1 min after |",
  "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
  ...rows.map(
    ({ phase, target, summary: s, cpuMs, load: l }) =>
      `| ${phase} | ${target} | ${s.requests} | ${statusText(s.statuses)} | ${f(s.perSecond)} | ${f(s.p50)} | ${f(s.p90)} | ${f(s.p99)} | ${f(s.max)} | ${cpuMs.toFixed(2)} | ${l} |`,
  ),
  "",
  `- Saturation: real ${f(saturated("real"))} joins/s, bare ${f(saturated("bare"))} joins/s: **${ratio.toFixed(2)}×** (target ≥ 0.5×).`,
  `- Open loop at ${rate} joins/s, real: p99 **${f(open?.p99 ?? 0)} ms** (target < 100 ms).`,
  `- Server CPU per join at saturation: real ${f(cpuOf("real"))} ms, bare ${f(cpuOf("bare"))} ms. The bare endpoint needs no PostgreSQL or Redis; those servers' CPU for the real path comes out of the same ${execFileSync("nproc").toString().trim()} cores.`,
  ...(profileFile
    ? [
        "",
        "Profile of the real server over the whole run (`node --cpu-prof`):",
        "",
        ...profileMarkdown(summarizeProfile(profileFile, 12)),
      ]
    : []),
  "",
];
writeResultsSection(values.out, JOINS_MARKER, lines.join("\n"));
process.stdout.write(lines.join("\n"));
if (profileFile) progress(`profile kept at ${profileFile} (outside the repository)`);
process.exit(0);
