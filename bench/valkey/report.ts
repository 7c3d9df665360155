/** Renders bench/valkey's RESULTS.md: the command, the machine, the measured capacity, the demand and the headroom. */
import { type Assumption, type DemandInputs, fmt, type Load, measured, perMeetingRates } from "./demand.ts";
import type { PhaseResult } from "./drive.ts";
import { PARTICIPANTS } from "./operations.ts";

export interface Report {
  command: string;
  started: Date;
  machine: string;
  redisVersion: string;
  loadBefore: number;
  loadAfter: number;
  results: PhaseResult[];
  inputs: DemandInputs;
  assumptions: Assumption[];
  loads: Load[];
  busiest: number;
  productionSize: string;
}

function table(head: string[], rows: string[][]): string[] {
  return [
    `| ${head.join(" | ")} |`,
    `| ${head.map(() => "---").join(" | ")} |`,
    ...rows.map((r) => `| ${r.join(" | ")} |`),
  ];
}

const commands = (perOp: Record<string, number>) =>
  Object.entries(perOp)
    .filter(([, n]) => n >= 0.01)
    .sort((a, b) => b[1] - a[1])
    .map(([name, n]) => `${name} ${fmt(n, 2)}`)
    .join(", ");

const label = (r: PhaseResult) => (r.subscribers > 0 ? `${r.kind} (${r.subscribers} subscribers)` : r.kind);

export function renderReport(report: Report): string {
  const { results, inputs } = report;
  const stormLoad = report.loads[1];
  const perMeetingCpu = stormLoad?.cpuMicrosPerSecond ?? Number.NaN;
  const worst = report.loads.at(-1);
  const rates = perMeetingRates(inputs);
  return [
    "# Valkey shard capacity results",
    "",
    "Written by `bench/valkey/run.ts`; rerun the command to replace this file.",
    "",
    `- Command: \`${report.command}\``,
    `- Date: ${report.started.toISOString()}`,
    `- Machine: ${report.machine}; \`redis-server --version\` = ${report.redisVersion}`,
    `- Load average (1 min) before: ${report.loadBefore.toFixed(2)}, after: ${report.loadAfter.toFixed(2)} (/proc/loadavg; other work shared the cores when well above 0, and this run's own load generator adds to it).`,
    "- Setup: one throwaway redis-server on 127.0.0.1 (persistence off, no TLS) and the load generator in this process on the same machine. Each operation runs through the services' own code (MeetingSeats, RoomProvisioner, MeetingBus, createRateLimiter, the kit's createRedis clients; LiveKit's room service is a stub that says the room exists), one operation kind at a time. \"redis CPU\" is the server process's user + system time from /proc/<pid>/stat over the phase: unlike ops/s it does not depend on how much of the machine the load generator took. \"share of a core\" near 1 means the server's command thread was the limit; well below 1, the load generator was.",
    "",
    "## One primary's capacity, per operation",
    "",
    "Latency is per operation as the caller sees it, at the stated connections × ops in flight (queueing included).",
    "",
    ...table(
      [
        "operation",
        "connections × in flight",
        "ops",
        "seconds",
        "ops/s",
        "p50 ms",
        "p99 ms",
        "redis CPU µs/op",
        "share of a core",
        "ended",
      ],
      results.map((r) => [
        label(r),
        `${r.connections} × ${r.inflight}`,
        String(r.ops),
        fmt(r.seconds, 1),
        fmt(r.opsPerSecond, 0),
        fmt(r.p50Ms, 2),
        fmt(r.p99Ms, 2),
        fmt(r.cpuMicrosPerOp, 1),
        fmt(r.coreShare, 2),
        r.ended === "time" ? "time" : "work done",
      ]),
    ),
    "",
    "What each operation is, and the commands the server ran per operation (INFO commandstats; a script's own calls included; pub/sub deliveries are not commands):",
    "",
    ...table(
      ["operation", "what the service does", "server commands per op", "deliveries (expected)"],
      results.map((r) => [
        label(r),
        r.what,
        commands(r.commandsPerOp),
        r.deliveries ? `${r.deliveries.received} (${r.deliveries.expected})` : "",
      ]),
    ),
    "",
    `## Demand of a ${PARTICIPANTS}-person meeting`,
    "",
    ...table(
      ["assumption", "value", "source"],
      report.assumptions.map((a) => [a.what, a.value, a.source]),
    ),
    "",
    "Operations per second of one meeting on its shard (the join storm's rates come on top of the steady ones while the meeting fills). For chat-publish and chat-signal the CPU is that of the row with the most subscribers:",
    "",
    ...table(
      ["operation", "steady /s", "join storm, added /s", "redis CPU µs/op (measured)"],
      rates.map((r) => [
        r.kind,
        fmt(r.steady, 2),
        fmt(r.storm, 2),
        fmt(measured(results, r.kind).cpuMicrosPerOp, 1),
      ]),
    ),
    "",
    `## Headroom of one primary (N = ${inputs.shards}, ${inputs.meetings} concurrent meetings)`,
    "",
    `Shard 0 also carries what is not per meeting (auth's rate limits, chat tickets; REDIS_URL is shard 0). The busiest shard is the 99th percentile, over 10,000 random draws, of the most meetings one of ${inputs.shards} shards gets when ${inputs.meetings} random meeting ids are hashed (apps/shared/src/redis-shards.ts); the last two rows put that many meetings on shard 0 as the worst case. CPU headroom = one core ÷ the redis CPU the load needs (commands run one at a time on one thread). Throughput headroom = what this run sustained for the same mix ÷ the load's ops/s (lower when the load generator, not the server, was the limit).`,
    "",
    ...table(
      ["scenario", "ops/s", "redis CPU ms/s", "CPU headroom", "throughput headroom"],
      report.loads.map((l) => [
        l.scenario,
        fmt(l.opsPerSecond, 0),
        fmt(l.cpuMicrosPerSecond / 1000, 1),
        `${fmt(l.cpuHeadroom, 1)}×`,
        `${fmt(l.throughputHeadroom, 1)}×`,
      ]),
    ),
    "",
    "## Reading",
    "",
    `- One ${PARTICIPANTS}-person meeting at its join-storm peak needs ${fmt(perMeetingCpu / 1000, 2)} ms of redis CPU per second: one primary holds about ${fmt(stormLoad?.cpuHeadroom ?? Number.NaN, 0)} such meetings filling at once by CPU alone, and ${fmt(stormLoad?.throughputHeadroom ?? Number.NaN, 0)} by what this run sustained of the same mix.`,
    worst
      ? `- Worst case here (${worst.scenario}): ${fmt(worst.opsPerSecond, 0)} ops/s, ${fmt(worst.cpuHeadroom, 1)}× CPU headroom and ${fmt(worst.throughputHeadroom, 1)}× against what this run sustained.`
      : "",
    "- Not modeled: the leaves at a meeting's end (a seat-release and the same presence script as at the join, per participant), reconnects that replay from the chat window, and the placement lock (once per large room created, on shard 0).",
    `- The production preset's app shards are managed Valkey 8 nodes of size \`${report.productionSize}\` (stacks/presets/production.ts), not this machine: another CPU, TLS on every connection (docs/sources.md#valkey-pricing-and-limits), a network hop instead of loopback, and Valkey instead of Redis. Scripts and commands still run one at a time on one thread, so its extra vCPUs do not multiply the per-op figures above; treat the headroom as an estimate to be checked against the node's own CPU metric.`,
    "",
  ].join("\n");
}
