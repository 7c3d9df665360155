/**
 * Scheduled-start bench: `npx tsx bench/meetings/precreate.ts [--meetings 100] [--spacing-ms 2500]
 * [--out bench/meetings/RESULTS.md]`
 *
 * `meetings` large (500-seat) meetings start together and all their hosts join at once — twice, in one run:
 *   1. baseline: rooms created at the hosts' first joins (today's path for unscheduled meetings): large rooms go
 *      through the cluster-wide placement lock one per `spacing-ms`, so hosts queue (and are told to retry after
 *      the 30 s placement wait);
 *   2. pre-created: the room pre-creation worker (apps/meetings/src/room-precreator.ts) runs over the schedule
 *      first, then the hosts join; every join should be a token issue.
 * The meetings app (in this process, called without HTTP), PostgreSQL, redis-server, a TLS redis and one
 * livekit-server (rendered staging livekit.yaml) run on this machine, on 127.0.0.1 only. The section it writes
 * replaces the one below the marker in RESULTS.md; the join-storm part above it is bench/meetings/run.ts's.
 */
import { cpus, loadavg, totalmem } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Registry } from "prom-client";
import { mainRoomName } from "../../apps/meetings/src/meetings-store.ts";
import { RoomPrecreator } from "../../apps/meetings/src/room-precreator.ts";
import { scheduleMeeting, startMeetingsHarness, type User } from "../../apps/meetings/test/harness.ts";
import { createLogger } from "../../apps/shared/src/index.ts";
import { startPostgres } from "../../test/support/postgres.ts";
import { PRECREATE_MARKER, writeResultsSection } from "./results-sections.ts";

const root = join(import.meta.dirname, "../..");
const { values } = parseArgs({
  options: {
    meetings: { type: "string", default: "100" },
    "spacing-ms": { type: "string", default: "2500" },
    out: { type: "string", default: join(root, "bench/meetings/RESULTS.md") },
  },
});
const meetingCount = Number(values.meetings);
const spacingMs = Number(values["spacing-ms"]);
if (!Number.isInteger(meetingCount) || meetingCount < 1 || meetingCount > 500)
  throw new Error(`--meetings: expected an integer in 1–500, got ${values.meetings}`);
if (!Number.isInteger(spacingMs) || spacingMs < 0 || spacingMs > 30_000)
  throw new Error(`--spacing-ms: expected an integer in 0–30000, got ${values["spacing-ms"]}`);
const log = (msg: string) => process.stderr.write(`[bench/meetings/precreate] ${msg}\n`);

const pg = await startPostgres();
const h = await startMeetingsHarness(pg.adminUrl, "meetings_precreate_bench", {
  liveKitNodes: 1,
  config: { placementSpacingMs: spacingMs },
});

interface Arm {
  scenario: string;
  ok: number;
  retry: number;
  other: number;
  p50: number;
  p99: number;
  max: number;
  preparation: number | undefined;
  loadBefore: number;
  loadAfter: number;
}

async function schedule(startsAt: Date): Promise<{ id: string; host: User }[]> {
  const meetings = [];
  for (let i = 0; i < meetingCount; i++) {
    const host = await h.user();
    const m = await scheduleMeeting(h, host, { capacity: 500, startsAt: startsAt.toISOString() });
    meetings.push({ id: m.id, host });
  }
  return meetings;
}

async function hostsJoin(meetings: { id: string; host: User }[]) {
  const latencies: number[] = [];
  const counts = { ok: 0, retry: 0, other: 0 };
  await Promise.all(
    meetings.map(async ({ id, host }) => {
      const t0 = performance.now();
      const res = await h.request(`/v1/meetings/${id}/join`, { method: "POST", user: host });
      await res.arrayBuffer();
      latencies.push(performance.now() - t0);
      if (res.status === 200) counts.ok++;
      else if (res.status === 503) counts.retry++;
      else counts.other++;
    }),
  );
  latencies.sort((a, b) => a - b);
  const q = (p: number) =>
    Math.round((latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0) * 10) / 10;
  return { ...counts, p50: q(0.5), p99: q(0.99), max: q(1) };
}

const arms: Arm[] = [];
try {
  log(`baseline: ${meetingCount} hosts join meetings without rooms`);
  const baseline = await schedule(new Date(Date.now() + 60_000));
  let loadBefore = loadavg()[0] ?? 0;
  arms.push({
    scenario: "baseline: rooms created at the hosts' first joins",
    ...(await hostsJoin(baseline)),
    preparation: undefined,
    loadBefore,
    loadAfter: loadavg()[0] ?? 0,
  });
  log(JSON.stringify(arms.at(-1)));
  // Hosts told to retry would otherwise be rooms the worker places in the second arm.
  await h.db
    .sql`update meetings set state = 'cancelled' where id = any(${baseline.map((m) => m.id)}) and state = 'scheduled'`;

  log(`pre-created: the worker places ${meetingCount} rooms ahead of the start`);
  const ahead = await schedule(new Date(Date.now() + 10 * 60_000));
  const worker = new RoomPrecreator({
    sql: h.db.sql,
    provisioner: h.service.context.provisioner,
    logger: createLogger({ service: "meetings", level: "error" }),
    metrics: new Registry(),
    options: { leadSeconds: 900, graceSeconds: 900, batch: meetingCount * 2 },
  });
  const t0 = performance.now();
  const wanted = new Set(ahead.map((m) => mainRoomName(m.id)));
  const ready = new Set<string>();
  // Bounded: one pass places every room unless placement is busy; then a few more passes.
  for (let pass = 0; pass < 5 && ready.size < wanted.size; pass++)
    for (const room of await worker.runOnce()) if (wanted.has(room)) ready.add(room);
  if (ready.size < wanted.size) log(`only ${ready.size} of ${wanted.size} rooms were placed ahead`);
  const preparation = (performance.now() - t0) / 1000;
  loadBefore = loadavg()[0] ?? 0;
  arms.push({
    scenario: "pre-created: the worker ran over the schedule first",
    ...(await hostsJoin(ahead)),
    preparation,
    loadBefore,
    loadAfter: loadavg()[0] ?? 0,
  });
  log(JSON.stringify(arms.at(-1)));
} finally {
  await h.stop();
  await pg.stop();
}

const section = [
  PRECREATE_MARKER,
  "",
  "## Scheduled start: rooms created ahead of the start",
  "",
  "Written by `bench/meetings/precreate.ts` (this section only).",
  "",
  `- Command: \`npx tsx bench/meetings/precreate.ts --meetings ${meetingCount} --spacing-ms ${spacingMs}\``,
  `- Date: ${new Date().toISOString()}`,
  `- Machine: ${cpus().length} cores, ${cpus()[0]?.model ?? "unknown CPU"}, ${Math.round(totalmem() / 2 ** 30)} GiB RAM; node ${process.version}`,
  "- Setup: the meetings app called in-process (no HTTP), PostgreSQL 15, redis-server, one livekit-server v1.13.5 (rendered staging livekit.yaml) on the same machine. Each arm: " +
    `${meetingCount} meetings of 500 seats (large: one room per placement slot), all hosts' first joins at once.`,
  `- Placement spacing ${spacingMs} ms (production default 2500 ms); a join that waits 30 s for the placement lock is answered 503 \`placement_busy\` with Retry-After.`,
  "",
  "| scenario | host joins | 200 | 503 retry | other | p50 ms | p99 ms | max ms | rooms prepared in | load avg 1 min (start → end) |",
  "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
  ...arms.map(
    (a) =>
      `| ${a.scenario} | ${meetingCount} | ${a.ok} | ${a.retry} | ${a.other} | ${a.p50} | ${a.p99} | ${a.max} | ${a.preparation === undefined ? "—" : `${a.preparation.toFixed(1)} s`} | ${a.loadBefore.toFixed(2)} → ${a.loadAfter.toFixed(2)} |`,
  ),
  "",
  "Target: p99 of the hosts' first joins < 250 ms with pre-created rooms on this machine. The worker needs about meetings × spacing to place the rooms; the default lead (`MEETINGS_PRECREATE_LEAD_SECONDS` = 600) covers 100 large meetings at 2.5 s.",
  "",
].join("\n");
writeResultsSection(values.out, PRECREATE_MARKER, section);
process.stdout.write(section);
process.exit(0);
