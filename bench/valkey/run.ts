/**
 * Valkey shard capacity: `npx tsx bench/valkey/run.ts [--seconds 10] [--connections 4] [--inflight 8]
 * [--meetings 100] [--subscribers 3,20] [--out bench/valkey/RESULTS.md]`
 *
 * Starts a throwaway redis-server on a free loopback port, measures what one primary sustains of each operation
 * the services run on the app keyspace's shards (operations.ts, through the services' own code), then sets that
 * against the demand of 500-person meetings on N shards (demand.ts) and writes the Markdown report. Each phase
 * is bounded in time (and in work, for phases that consume what an earlier one made). Progress goes to stderr.
 * Not part of the test run.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { totalmem } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createRedis, redisReady } from "../../apps/shared/src/index.ts";
import { production } from "../../stacks/presets/production.ts";
import { startRedis } from "../../test/support/redis.ts";
import { assumptions, busiestShard, DEFAULT_DEMAND, type DemandInputs, loads } from "./demand.ts";
import { type PhaseResult, runPhase } from "./drive.ts";
import { newFixture, type OperationKind } from "./operations.ts";
import { renderReport } from "./report.ts";

const root = join(import.meta.dirname, "../..");
const defaultOut = join(root, "bench/valkey/RESULTS.md");
const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "10" },
    connections: { type: "string", default: "4" },
    inflight: { type: "string", default: "8" },
    meetings: { type: "string", default: "100" },
    subscribers: { type: "string", default: "3,20" },
    out: { type: "string", default: defaultOut },
  },
});

function positive(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`--${flag}: expected an integer ≥ 1, got ${JSON.stringify(text)}`);
  return n;
}
const seconds = positive("seconds", values.seconds);
const connections = positive("connections", values.connections);
const inflight = positive("inflight", values.inflight);
const meetingCount = positive("meetings", values.meetings);
const subscriberCounts = values.subscribers.split(",").map((s) => positive("subscribers", s.trim()));

const command =
  `npx tsx bench/valkey/run.ts --seconds ${seconds} --connections ${connections} --inflight ${inflight}` +
  ` --meetings ${meetingCount} --subscribers ${subscriberCounts.join(",")}` +
  (values.out === defaultOut ? "" : ` --out ${values.out}`);

/** Order matters: the seat phases mark, reconcile and release the seats the admit phase took. */
const SEAT_PHASES: OperationKind[] = [
  "seat-admit",
  "seat-connected",
  "seat-reconcile",
  "seat-release",
  "room-mark",
];
const CHAT_PHASES: OperationKind[] = [
  "chat-ticket",
  "chat-presence-join",
  "chat-presence-refresh",
  "chat-rate-limit",
];
const FAN_OUT_PHASES: OperationKind[] = ["chat-signal", "chat-publish"];

const log = (message: string) => process.stderr.write(`[bench/valkey] ${message}\n`);
const loadAverage = () => Number(readFileSync("/proc/loadavg", "utf8").split(" ")[0]);

function machine(): string {
  const model = /^model name\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? "unknown CPU";
  const nproc = execFileSync("nproc").toString().trim();
  return `\`nproc\` = ${nproc}, ${model}, ${Math.round(totalmem() / 2 ** 30)} GiB RAM; \`node --version\` = ${process.version}`;
}

async function main() {
  const started = new Date();
  const loadBefore = loadAverage();
  const server = await startRedis();
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await server.stop();
  };
  process.once("SIGINT", () => {
    log("interrupted: stopping redis-server");
    void stop().finally(() => process.exit(130));
  });
  const admin = createRedis({ url: server.url, connectionName: "bench-admin" });
  try {
    await redisReady(admin);
    const serverPid = Number(/process_id:(\d+)/.exec(await admin.info("server"))?.[1]);
    const redisVersion = execFileSync("redis-server", ["--version"]).toString().trim();
    log(`redis-server pid ${serverPid} on ${server.url}; ${seconds} s per phase`);
    const fixture = newFixture(meetingCount);
    const base = { url: server.url, admin, serverPid, fixture, seconds, connections, inflight };
    const results: PhaseResult[] = [];
    const phase = async (kind: OperationKind, subscribers = 0) => {
      log(`${kind}${subscribers > 0 ? ` with ${subscribers} subscribers` : ""} …`);
      const result = await runPhase(kind, { ...base, subscribers });
      log(
        `  ${result.ops} ops in ${result.seconds.toFixed(1)} s: ${result.opsPerSecond.toFixed(0)}/s, ` +
          `${result.cpuMicrosPerOp.toFixed(1)} µs redis CPU/op, ${(result.coreShare * 100).toFixed(0)} % of a core`,
      );
      results.push(result);
    };
    for (const kind of [...SEAT_PHASES, ...CHAT_PHASES]) await phase(kind);
    for (const subscribers of subscriberCounts)
      for (const kind of FAN_OUT_PHASES) await phase(kind, subscribers);

    const inputs: DemandInputs = {
      ...DEFAULT_DEMAND,
      meetings: meetingCount,
      shards: production.valkey.shards,
      meetingsReplicas: production.services.meetings.minReplicas,
    };
    log("hashing random meeting ids to find the busiest shard …");
    const busiest = busiestShard(inputs.meetings, inputs.shards);
    const loadAfter = loadAverage();
    const text = renderReport({
      command,
      started,
      machine: machine(),
      redisVersion,
      loadBefore,
      loadAfter,
      results,
      inputs,
      assumptions: assumptions(inputs, Math.max(...subscriberCounts)),
      loads: loads(inputs, results, busiest),
      busiest,
      productionSize: production.valkey.size,
    });
    writeFileSync(values.out, text);
    log(`wrote ${values.out}`);
    log(`command: ${command}`);
  } finally {
    admin.disconnect();
    await stop();
  }
}

await main();
