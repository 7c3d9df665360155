/**
 * Join-storm harness: `npx tsx bench/meetings/run.ts [--meetings 100] [--joins 500] [--concurrency 64]
 * [--spacing-ms 0] [--out bench/meetings/RESULTS.md]`
 *
 * Starts a throwaway PostgreSQL, redis-server, a TLS redis and one livekit-server (the rendered staging
 * livekit.yaml), serves the real meetings app on a loopback port and fires joins over HTTP: first 500 joins at
 * once into one 500-seat meeting, then `meetings` × `joins` joins with `concurrency` in flight. Each join is the
 * full path: token verification, membership, the Redis seat script, room creation on first use (LiveKit
 * CreateRoom) and the LiveKit token. Only 127.0.0.1 is used. Not part of the test run.
 */
import { randomUUID } from "node:crypto";
import { cpus, loadavg, totalmem } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { serve } from "@hono/node-server";
import { generateSigningKey, loadSigningKeys } from "../../apps/auth/src/signing-keys.ts";
import { TokenIssuer } from "../../apps/auth/src/tokens.ts";
import { createMeetingsApp } from "../../apps/meetings/src/app.ts";
import { MEETINGS_MIGRATIONS_DIR } from "../../apps/meetings/src/migrate.ts";
import {
  createDatabase,
  createLogger,
  createRedis,
  redisReady,
  runMigrations,
} from "../../apps/shared/src/index.ts";
import { iceRange, loopbackLiveKitInput, startLiveKitNode } from "../../test/media/support/livekit-node.ts";
import { liveKitInput } from "../../test/media/support/stack-inputs.ts";
import { startTlsRedis } from "../../test/media/support/tls-redis.ts";
import { createTestDatabase, startPostgres } from "../../test/support/postgres.ts";
import { freePort } from "../../test/support/processes.ts";
import { startRedis } from "../../test/support/redis.ts";
import { writeResultsSection } from "./results-sections.ts";

const root = join(import.meta.dirname, "../..");
const { values } = parseArgs({
  options: {
    meetings: { type: "string", default: "100" },
    joins: { type: "string", default: "500" },
    concurrency: { type: "string", default: "64" },
    "spacing-ms": { type: "string", default: "0" },
    out: { type: "string", default: join(root, "bench/meetings/RESULTS.md") },
  },
});
const meetingCount = Number(values.meetings);
const joinsPerMeeting = Number(values.joins);
const concurrency = Number(values.concurrency);
const spacingMs = Number(values["spacing-ms"]);
const loadBefore = loadavg()[0] ?? 0;

const pg = await startPostgres();
const database = await createTestDatabase(pg.adminUrl, "meetings_bench");
const redisServer = await startRedis();
const tlsRedis = await startTlsRedis();
const appPort = await freePort();
const base = liveKitInput("staging");
const node = await startLiveKitNode(
  await loopbackLiveKitInput(base, {
    redis: tlsRedis,
    udpPortRange: iceRange(0),
    loopbackCandidates: true,
    webhookUrl: `http://127.0.0.1:${appPort}/livekit/webhook`,
  }),
);
const db = createDatabase({ url: database.url, max: 20 });
await runMigrations(db.sql, MEETINGS_MIGRATIONS_DIR);
const redis = createRedis({ url: redisServer.url });
await redisReady(redis);
const keys = await loadSigningKeys(JSON.stringify({ keys: [await generateSigningKey("EdDSA")] }), undefined);
const issuer = new TokenIssuer({
  keys,
  issuer: "https://auth.bench",
  audience: "gomeet",
  accessTokenTtlSeconds: 3600,
  chatTicketTtlSeconds: 60,
});
const service = createMeetingsApp({
  sql: db.sql,
  redis,
  logger: createLogger({ service: "meetings", level: "error" }),
  config: {
    auth: { jwks: keys.publicJwks as never, issuer: "https://auth.bench", audience: "gomeet" },
    livekit: { url: node.wsUrl, apiUrl: node.url, apiKey: base.apiKey, apiSecret: base.apiSecret },
    tokenTtlSeconds: 600,
    seatHoldSeconds: 120,
    placementSpacingMs: spacingMs,
    roomEmptyTimeoutSeconds: 300,
    roomDepartureTimeoutSeconds: 20,
    reconcileIntervalSeconds: 30,
    scaling: { largeMeetingThreshold: 100, nodeParticipants: 500, headroomPercent: 20, leadSeconds: 900 },
    recordings: {
      endpoint: "https://sgp1.digitaloceanspaces.com",
      region: "sgp1",
      bucket: "bench-recordings",
      accessKey: "x",
      secretKey: "y",
      playbackTtlSeconds: 900,
    },
  },
});
const server = serve({ fetch: service.app.fetch, port: appPort, hostname: "127.0.0.1" });
const url = `http://127.0.0.1:${appPort}`;

async function seedMeeting(): Promise<{ id: string; users: string[] }> {
  const host = randomUUID();
  const [m] = await db.sql<
    { id: string }[]
  >`insert into meetings (owner_id, title, starts_at, duration_minutes, capacity, mode, state, started_at)
    values (${host}, 'bench', now(), 60, 500, 'meeting', 'live', now()) returning id`;
  const users = Array.from({ length: joinsPerMeeting }, () => randomUUID());
  await db.sql`insert into meeting_members ${db.sql(users.map((u) => ({ meeting_id: m!.id, user_id: u, role: "attendee" })))}`;
  const tokens = await Promise.all(
    users.map(async (u) => (await issuer.accessToken({ id: u, roles: ["member"] }, randomUUID())).token),
  );
  return { id: m!.id, users: tokens };
}

interface Result {
  scenario: string;
  joins: number;
  ok: number;
  full: number;
  other: number;
  seconds: number;
  p50: number;
  p99: number;
  max: number;
}

async function storm(
  scenario: string,
  work: { meetingId: string; token: string }[],
  inFlight: number,
): Promise<Result> {
  const latencies: number[] = [];
  const counts = { ok: 0, full: 0, other: 0 };
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(inFlight, work.length) }, async () => {
      while (next < work.length) {
        const item = work[next++]!;
        const t0 = performance.now();
        const res = await fetch(`${url}/v1/meetings/${item.meetingId}/join`, {
          method: "POST",
          headers: { authorization: `Bearer ${item.token}` },
        });
        await res.arrayBuffer();
        latencies.push(performance.now() - t0);
        if (res.status === 200) counts.ok++;
        else if (res.status === 409) counts.full++;
        else counts.other++;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const q = (p: number) =>
    Math.round((latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0) * 10) / 10;
  return {
    scenario,
    joins: work.length,
    ...counts,
    seconds: Math.round(seconds * 100) / 100,
    p50: q(0.5),
    p99: q(0.99),
    max: q(1),
  };
}

const results: Result[] = [];
const one = await seedMeeting();
results.push(
  await storm(
    `1 meeting × ${joinsPerMeeting} joins, all at once`,
    one.users.map((token) => ({ meetingId: one.id, token })),
    joinsPerMeeting,
  ),
);
const many = [];
for (let i = 0; i < meetingCount; i++) many.push(await seedMeeting());
// Interleaved, so every meeting's first join (and its CreateRoom) happens early, as in a morning rush.
const work = [];
for (let j = 0; j < joinsPerMeeting; j++)
  for (const m of many) work.push({ meetingId: m.id, token: m.users[j]! });
results.push(
  await storm(
    `${meetingCount} meetings × ${joinsPerMeeting} joins, ${concurrency} in flight`,
    work,
    concurrency,
  ),
);

const loadAfter = loadavg()[0] ?? 0;
const cpu = cpus()[0]?.model ?? "unknown CPU";
const lines = [
  "# Meetings join-storm results",
  "",
  "Written by `bench/meetings/run.ts`; rerun it to replace this file.",
  "",
  `- Command: \`npx tsx bench/meetings/run.ts --meetings ${meetingCount} --joins ${joinsPerMeeting} --concurrency ${concurrency} --spacing-ms ${spacingMs}\``,
  `- Date: ${new Date().toISOString()}`,
  `- Machine: ${cpus().length} cores, ${cpu}, ${Math.round(totalmem() / 2 ** 30)} GiB RAM; node ${process.version}`,
  `- Load average (1 min) before: ${loadBefore.toFixed(2)}, after: ${loadAfter.toFixed(2)} (other work shared the cores when well above 0).`,
  "- Setup: the meetings app in this process behind a loopback HTTP server, PostgreSQL 15 (throwaway), redis-server, one livekit-server v1.13.5 (rendered staging livekit.yaml) on the same machine; the load generator shares the cores. Each join: access-token verification, membership read, Redis seat script, CreateRoom on a meeting's first join, LiveKit token signing.",
  `- Placement spacing: ${spacingMs} ms (production default 2500 ms serialises the creation of large rooms: 100 first joins of 500-person meetings need ≥ 100 × 2.5 s; see docs/services/meetings.md).`,
  "",
  "| scenario | joins | admitted | refused full | other | seconds | joins/s | p50 ms | p99 ms | max ms |",
  "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
  ...results.map(
    (r) =>
      `| ${r.scenario} | ${r.joins} | ${r.ok} | ${r.full} | ${r.other} | ${r.seconds} | ${Math.round(r.joins / r.seconds)} | ${r.p50} | ${r.p99} | ${r.max} |`,
  ),
  "",
];
// Keeps the sections bench/meetings/joins.ts and precreate.ts write below their markers.
writeResultsSection(values.out, undefined, lines.join("\n"));
process.stdout.write(lines.join("\n"));
server.close();
await node.stop();
await tlsRedis.stop();
redis.disconnect();
await db.close();
await redisServer.stop();
await database.drop();
await pg.stop();
process.exit(0);
