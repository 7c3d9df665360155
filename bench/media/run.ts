/**
 * SFU load curve: `npx tsx bench/media/run.ts [--subscribers 10,25,50,100] [--seconds 20] [--warmup 5]
 * [--per-process 25] [--quality high] [--out bench/media/RESULTS.md]`
 *
 * One livekit-server started with the rendered production livekit.yaml (addresses, ports and secrets adapted to
 * loopback, as the media tests do), a TLS redis, one room with a 720p simulcast camera publisher and a microphone
 * publisher (bench/media/participants.ts), then for each N a fresh set of N @livekit/rtc-node subscribers in
 * processes of `per-process`. Over a window of `seconds` after `warmup`, read from livekit-server's own
 * Prometheus endpoint: forwarded packets/s (Δ livekit_packet_total{direction="outgoing"}), server CPU
 * (Δ process_cpu_seconds_total) and their ratio — forwarded packets per server CPU-second, the planner's
 * `--pps-per-vcpu` — and loss reported by the subscribers (Δ livekit_packet_loss_total{direction="outgoing"} ÷
 * packets). N = 0 (publishers only) is the baseline measured in the same run. Only 127.0.0.1 is used; every phase
 * is bounded in time. Not part of the test run.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { RoomServiceClient } from "livekit-server-sdk";
import { FORWARDED_PPS_PER_VCPU } from "../../catalogue/room-model.ts";
import {
  LIVEKIT_SERVER_BIN,
  loopbackLiveKitInput,
  startLiveKitNode,
} from "../../test/media/support/livekit-node.ts";
import { joinToken } from "../../test/media/support/rtc-participants.ts";
import { liveKitInput } from "../../test/media/support/stack-inputs.ts";
import { startTlsRedis } from "../../test/media/support/tls-redis.ts";
import { execFileAsync } from "../../test/support/processes.ts";

const root = join(import.meta.dirname, "../..");
const { values } = parseArgs({
  options: {
    subscribers: { type: "string", default: "10,25,50,100" },
    seconds: { type: "string", default: "20" },
    warmup: { type: "string", default: "5" },
    "per-process": { type: "string", default: "25" },
    quality: { type: "string", default: "high" },
    out: { type: "string", default: join(root, "bench/media/RESULTS.md") },
  },
});
const counts = values.subscribers.split(",").map(Number);
const seconds = Number(values.seconds);
const warmup = Number(values.warmup);
const perProcess = Number(values["per-process"]);
const qualities = values.quality.split(",") as ("low" | "medium" | "high")[];
if (counts.some((n) => !Number.isInteger(n) || n < 1 || n > 200))
  throw new Error(`--subscribers: expected integers in 1–200, got ${values.subscribers}`);
if (!(seconds >= 5 && seconds <= 120)) throw new Error(`--seconds: expected 5–120, got ${values.seconds}`);
if (qualities.some((q) => !["low", "medium", "high"].includes(q)))
  throw new Error(`--quality: expected a list of low, medium, high, got ${values.quality}`);

const log = (msg: string) => process.stderr.write(`[bench/media] ${msg}\n`);
/** How long one subscriber process may take to connect its participants. */
const CONNECT_TIMEOUT_MS = 150_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Worker {
  child: ChildProcess;
  lines: Record<string, number>[];
  /** The last lines the process wrote to stderr, for the reason a worker never became ready. */
  stderr: string[];
}

function startWorker(spec: object): Worker {
  // `node --import tsx` rather than the tsx CLI: signals must reach the participants' own process.
  const child = spawn(
    process.execPath,
    ["--import", "tsx", join(root, "bench/media/participants.ts"), JSON.stringify(spec)],
    {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  const worker: Worker = { child, lines: [], stderr: [] };
  child.stderr?.on("data", (chunk: Buffer) => {
    worker.stderr.push(
      ...chunk
        .toString()
        .split("\n")
        .filter((l) => l.trim() !== ""),
    );
    worker.stderr.splice(0, Math.max(0, worker.stderr.length - 20));
  });
  let buffer = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    buffer += chunk.toString();
    for (let i = buffer.indexOf("\n"); i >= 0; i = buffer.indexOf("\n")) {
      const line = buffer.slice(0, i);
      buffer = buffer.slice(i + 1);
      if (line.startsWith("{")) worker.lines.push(JSON.parse(line) as Record<string, number>);
    }
  });
  return worker;
}

async function until(
  what: string,
  check: () => boolean,
  timeoutMs: number,
  refresh?: () => Promise<void>,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (await refresh?.(); !check(); await refresh?.()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

async function cpuOf(workers: Worker[]): Promise<number> {
  const before = workers.map((w) => w.lines.length);
  for (const w of workers) w.child.kill("SIGUSR2");
  await until(
    "workers to report CPU",
    () => workers.every((w, i) => w.lines.length > (before[i] ?? 0)),
    10_000,
  );
  return workers.reduce((sum, w) => sum + (w.lines.at(-1)?.cpuSeconds ?? 0), 0);
}

async function stopWorkers(workers: Worker[]): Promise<void> {
  await Promise.all(
    workers.map(
      (w) =>
        new Promise<void>((resolve) => {
          if (w.child.exitCode !== null) return resolve();
          const timer = setTimeout(() => w.child.kill("SIGKILL"), 20_000);
          w.child.once("exit", () => {
            clearTimeout(timer);
            resolve();
          });
          w.child.kill("SIGTERM");
        }),
    ),
  );
}

function sumSeries(text: string, name: string, labelFilter?: string): number {
  let total = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (labelFilter && !line.includes(labelFilter)) continue;
    total += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return total;
}

interface Sample {
  at: number;
  out: number;
  lost: number;
  cpu: number;
  subscriberCpu: number;
  load: number;
}

const redis = await startTlsRedis();
const udpStart = 52_000 + Math.floor(Math.random() * 6) * 1_000;
const node = await startLiveKitNode(
  await loopbackLiveKitInput(liveKitInput("production"), {
    redis,
    // Every subscriber has its own ICE port; production nodes have 10,000 (50000–60000).
    udpPortRange: { start: udpStart, end: udpStart + 999 },
    loopbackCandidates: true,
  }),
);
const { apiKey, apiSecret } = node.input;
const room = "bench-sfu";
const rooms = new RoomServiceClient(node.url, apiKey, apiSecret);
await rooms.createRoom({ name: room, maxParticipants: 500 });
let participantsNow = 0;
const version = (await execFileAsync(LIVEKIT_SERVER_BIN, ["--version"])).stdout.trim();

async function sample(workers: Worker[]): Promise<Sample> {
  const text = await (await fetch(node.metricsUrl)).text();
  return {
    at: Date.now(),
    out: sumSeries(text, "livekit_packet_total", 'direction="outgoing"'),
    lost: sumSeries(text, "livekit_packet_loss_total", 'direction="outgoing"'),
    cpu: sumSeries(text, "process_cpu_seconds_total"),
    subscriberCpu: workers.length > 0 ? await cpuOf(workers) : 0,
    load: loadavg()[0] ?? 0,
  };
}

interface Row {
  quality: string;
  subscribers: number;
  /** Why the row has no measurement (subscribers could not all connect in time). */
  skipped?: string;
  outPps: number;
  serverCores: number;
  ppsPerCore: number;
  lossPercent: number;
  subscriberCores: number;
  loadBefore: number;
  loadAfter: number;
}
const rows: Row[] = [];
const emptyRow = { outPps: 0, serverCores: 0, ppsPerCore: 0, lossPercent: 0, subscriberCores: 0 };
const publishers = startWorker({
  role: "publishers",
  url: node.wsUrl,
  tokens: [
    await joinToken(apiKey, apiSecret, room, "bench-camera"),
    await joinToken(apiKey, apiSecret, room, "bench-mic"),
  ],
});
try {
  await until("the publishers", () => publishers.lines.some((l) => l.ready !== undefined), 60_000);
  for (const quality of qualities)
    for (const n of quality === qualities[0] ? [0, ...counts] : counts) {
      log(`N = ${n} (${quality} layer): starting subscribers`);
      const workers: Worker[] = [];
      const isReady = (w: Worker) => w.lines.some((l) => l.ready !== undefined);
      const groups: string[][] = [];
      for (let i = 0; i < n; i++) {
        if (i % perProcess === 0) groups.push([]);
        groups.at(-1)?.push(await joinToken(apiKey, apiSecret, room, `bench-sub-${quality}-${n}-${i}`));
      }
      try {
        try {
          // One subscriber process at a time, each connecting a few participants at once: the connections
          // are what a small machine struggles with, not the steady forwarding that is measured afterwards.
          for (const [g, tokens] of groups.entries()) {
            const worker = startWorker({ role: "subscribers", url: node.wsUrl, tokens, quality });
            workers.push(worker);
            await until(
              `subscribers ${g * perProcess + 1}–${g * perProcess + tokens.length} of ${n}`,
              () => isReady(worker) || worker.child.exitCode !== null,
              CONNECT_TIMEOUT_MS,
            );
            if (!isReady(worker)) throw new Error("subscriber process exited");
          }
        } catch {
          const ready = workers.filter(isReady).length * perProcess;
          for (const w of workers.filter((w) => !isReady(w)))
            log(
              `a subscriber process never became ready (exit code ${w.child.exitCode ?? "none yet"}); its last stderr lines:\n  ${w.stderr.join("\n  ") || "(none)"}`,
            );
          rows.push({
            ...emptyRow,
            quality,
            subscribers: n,
            skipped: `not measured: ${Math.min(ready, n)} of ${n} subscribers connected (each process of ${perProcess} given ${CONNECT_TIMEOUT_MS / 1000} s)`,
            loadBefore: loadavg()[0] ?? 0,
            loadAfter: loadavg()[0] ?? 0,
          });
          log(`N = ${n}: ${rows.at(-1)?.skipped}`);
          continue;
        }
        await sleep(warmup * 1000);
        const a = await sample(workers);
        await sleep(seconds * 1000);
        const b = await sample(workers);
        const dt = (b.at - a.at) / 1000;
        const out = b.out - a.out;
        const cpu = b.cpu - a.cpu;
        rows.push({
          quality,
          subscribers: n,
          outPps: out / dt,
          serverCores: cpu / dt,
          ppsPerCore: cpu > 0 ? out / cpu : 0,
          lossPercent: out > 0 ? (100 * (b.lost - a.lost)) / out : 0,
          subscriberCores: (b.subscriberCpu - a.subscriberCpu) / dt,
          loadBefore: a.load,
          loadAfter: b.load,
        });
        log(`N = ${n}: ${JSON.stringify(rows.at(-1))}`);
      } finally {
        await stopWorkers(workers);
        // Subscribers that had to be killed stay in the room (and are forwarded to) until LiveKit times them
        // out; the next N starts only once the room holds just the two publishers again.
        await until(
          "the room to hold only the publishers",
          () => participantsNow === 2,
          90_000,
          async () => {
            participantsNow = (await rooms.listParticipants(room)).length;
          },
        ).catch((error: Error) => log(error.message));
      }
    }
} finally {
  await stopWorkers([publishers]);
  await node.stop();
  await redis.stop();
}

const fmt = (v: number, digits = 0) =>
  v.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
const cpu = cpus();
const lkVersion = readFileSync(join(root, ".tools/livekit-version"), "utf8").trim();
const table = [
  "| layer | subscribers | server out pkt/s | server CPU (cores) | forwarded pkt/s per server core | loss | subscriber CPU (cores) | load avg 1 min (start → end) |",
  "|---|---|---|---|---|---|---|---|",
  ...rows.map((r) =>
    r.skipped
      ? `| ${r.quality} | ${r.subscribers} | ${r.skipped} | | | | | ${fmt(r.loadBefore, 2)} → ${fmt(r.loadAfter, 2)} |`
      : `| ${r.subscribers === 0 ? "—" : r.quality} | ${r.subscribers === 0 ? "0 (baseline: publishers only)" : r.subscribers} | ${fmt(r.outPps)} | ${fmt(r.serverCores, 2)} | ${r.subscribers === 0 ? "—" : fmt(r.ppsPerCore)} | ${fmt(r.lossPercent, 3)} % | ${fmt(r.subscriberCores, 2)} | ${fmt(r.loadBefore, 2)} → ${fmt(r.loadAfter, 2)} |`,
  ),
];
const args = process.argv.slice(2).join(" ");
const text = `# SFU load curve (livekit-server, simulcast video + audio)

Written by \`bench/media/run.ts\`; rerun it to replace this file.

- Command: \`npx tsx bench/media/run.ts${args ? ` ${args}` : ""}\`
- Date: ${new Date().toISOString()}
- Machine: ${cpu.length} cores, ${cpu[0]?.model ?? "unknown CPU"}, ${Math.round(totalmem() / 2 ** 30)} GiB RAM; node ${process.version}
- Server: ${version} (\`.tools/livekit-version\`: ${lkVersion}), rendered production livekit.yaml adapted to loopback
- Load: 1 camera publisher (1280×720, simulcast h180/h360/h720, VP8) and 1 microphone publisher in one room; N subscribers (@livekit/rtc-node, ${perProcess} per process) subscribed to both tracks at the layer in the first column (high: the full 1280×720 layer, as \`lk load-test\` subscribers take it; low: 320×180, a small tile — the subscribers decode what they receive, so the high layer costs them far more CPU); ${warmup} s warm-up, ${seconds} s window per N
- Measured from livekit-server's Prometheus endpoint: Δ\`livekit_packet_total{direction="outgoing"}\`, Δ\`process_cpu_seconds_total\`, Δ\`livekit_packet_loss_total{direction="outgoing"}\`; subscriber CPU from the subscriber processes
- The load generator and the server share the machine's cores (and, when the load average is well above the core count, other work did too): the per-core figure is what one server CPU-second forwards, independent of how busy the machine was, but contention lowers it.

${table.join("\n")}

Comparison: the capacity planner's \`--pps-per-vcpu\` default is ${fmt(FORWARDED_PPS_PER_VCPU)} (LiveKit's published benchmark, catalogue/assumptions.ts); docs/capacity.md explains how to repeat this on a real media node.
`;
writeFileSync(values.out, text);
log(`wrote ${values.out}`);
process.exit(0);
