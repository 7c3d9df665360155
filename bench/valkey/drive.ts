/**
 * Runs one operation kind against the server for a bounded time (or until the phase has nothing left to do):
 * several connections, each with a fixed number of ops in flight, so commands queue on the socket the way a
 * busy replica's do. Reports ops/s, latency, and the server's own CPU per op read from /proc — the figure that
 * does not depend on how much of the machine the load generator took.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import type { Redis } from "ioredis";
import { MeetingBus } from "../../apps/chat/src/meeting-bus.ts";
import { createRedis, RedisShards, redisReady } from "../../apps/shared/src/index.ts";
import { type Fixture, type OperationKind, operation } from "./operations.ts";

export interface PhaseResult {
  kind: OperationKind;
  what: string;
  subscribers: number;
  connections: number;
  inflight: number;
  ops: number;
  seconds: number;
  opsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** redis-server CPU (user + system) per op, µs. */
  cpuMicrosPerOp: number;
  /** redis-server CPU over the phase as a share of one core (1 = the command thread never idled). */
  coreShare: number;
  /** Server-side commands per op (INFO commandstats), by command, scripts' own calls included. */
  commandsPerOp: Record<string, number>;
  /** Messages the subscribers received, against ops × subscribers. */
  deliveries?: { received: number; expected: number };
  /** "time" when the clock ran out, "done" when the phase ran out of work first. */
  ended: "time" | "done";
}

export interface PhaseOptions {
  url: string;
  admin: Redis;
  serverPid: number;
  fixture: Fixture;
  seconds: number;
  connections: number;
  inflight: number;
  subscribers: number;
}

const CLOCK_TICKS = Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim());

/** utime + stime of a process, in seconds (/proc/<pid>/stat fields 14 and 15). */
export function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

const percentile = (sorted: Float64Array, p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

/** Calls per command since the last CONFIG RESETSTAT, without the bench's own bookkeeping. */
async function commandCalls(admin: Redis): Promise<Record<string, number>> {
  const calls: Record<string, number> = {};
  for (const line of (await admin.info("commandstats")).split("\n")) {
    const match = /^cmdstat_([^:]+):calls=(\d+)/.exec(line.trim());
    if (!match || ["config", "info"].includes(match[1] as string)) continue;
    calls[match[1] as string] = Number(match[2]);
  }
  return calls;
}

async function connect(url: string, name: string): Promise<Redis> {
  const client = createRedis({ url, connectionName: name });
  await redisReady(client);
  return client;
}

export async function runPhase(kind: OperationKind, options: PhaseOptions): Promise<PhaseResult> {
  const { fixture, subscribers } = options;
  const clients = await Promise.all(
    Array.from({ length: options.connections }, (_, i) => connect(options.url, `bench-${kind}-${i}`)),
  );
  const listeners = await Promise.all(
    Array.from({ length: subscribers }, (_, i) => connect(options.url, `bench-sub-${i}`)),
  );
  let received = 0;
  if (listeners.length > 0) {
    // The channel names are the service's own: a chat replica subscribes to each meeting it has sockets in.
    const bus = new MeetingBus(new RedisShards([options.admin]), 1);
    const channels = fixture.meetings.map((id) => bus.channel(id));
    for (const listener of listeners) {
      listener.on("message", () => {
        received++;
      });
      await listener.subscribe(...channels);
    }
  }
  let counter = 0;
  const next = () => counter++;
  const operations = clients.map((client) => operation(kind, client, fixture, next, subscribers));
  const what = operations[0]?.what ?? kind;

  await options.admin.config("RESETSTAT");
  const latencies: number[] = [];
  let ended: PhaseResult["ended"] = "time";
  const cpuBefore = cpuSeconds(options.serverPid);
  const started = performance.now();
  const deadline = started + options.seconds * 1000;
  await Promise.all(
    operations.flatMap((op) =>
      Array.from({ length: options.inflight }, async () => {
        while (performance.now() < deadline && ended === "time") {
          const t = performance.now();
          if (!(await op.run())) {
            ended = "done";
            return;
          }
          latencies.push(performance.now() - t);
        }
      }),
    ),
  );
  const seconds = (performance.now() - started) / 1000;
  const cpu = cpuSeconds(options.serverPid) - cpuBefore;
  const calls = await commandCalls(options.admin);
  const ops = latencies.length;

  const expected = ops * subscribers;
  if (subscribers > 0) {
    const settle = performance.now() + 10_000;
    while (received < expected && performance.now() < settle) await new Promise((r) => setTimeout(r, 50));
  }
  await Promise.all([...clients, ...listeners].map((c) => c.quit().catch(() => c.disconnect())));

  const sorted = Float64Array.from(latencies).sort();
  return {
    kind,
    what,
    subscribers,
    connections: options.connections,
    inflight: options.inflight,
    ops,
    seconds,
    opsPerSecond: ops / seconds,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    cpuMicrosPerOp: (cpu * 1e6) / Math.max(1, ops),
    coreShare: cpu / seconds,
    commandsPerOp: Object.fromEntries(Object.entries(calls).map(([name, n]) => [name, n / Math.max(1, ops)])),
    ...(subscribers > 0 ? { deliveries: { received, expected } } : {}),
    ended,
  };
}
