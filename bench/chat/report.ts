/** Renders bench/chat's RESULTS.md: the command, the machine and its load, then each phase's table. */
import type { ClosedLoopRow } from "./closed-loop.ts";
import type { MemoryRow } from "./memory.ts";
import type { OpenLoopRow } from "./open-loop.ts";
import type { ProfileRun } from "./run.ts";

export interface Report {
  command: string;
  started: Date;
  machine: string;
  loadBefore: number[];
  loadAfter: number[];
  fsync: "on" | "off";
  load: { messages: number; senders: number; inflight: number };
  openSeconds: number;
  saturation: ClosedLoopRow[];
  open: OpenLoopRow[];
  memory: MemoryRow[];
  /** Why a memory row has fewer sockets than asked for. */
  memoryNotes: string[];
  profiles: ProfileRun[];
}

const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : n > 0 ? "∞ (lost)" : "–");
const kib = (bytes: number | undefined) => (bytes === undefined ? "n/a (needs root)" : fmt(bytes / 1024, 2));
const loads = (l: number[]) => l.map((x) => x.toFixed(2)).join(" / ");

function table(head: string[], rows: string[][]): string[] {
  return [
    `| ${head.join(" | ")} |`,
    `| ${head.map(() => "---").join(" | ")} |`,
    ...rows.map((r) => `| ${r.join(" | ")} |`),
  ];
}

function saturationSection(rows: ClosedLoopRow[], load: Report["load"]): string[] {
  if (rows.length === 0) return [];
  const ratios = rows
    .filter((r) => r.server === "chat")
    .flatMap((r) => {
      const base = rows.find((b) => b.server === "bare ws" && b.scenario === r.scenario);
      return base
        ? [
            [
              r.scenario,
              fmt(r.deliveredPerSecond / base.deliveredPerSecond, 2),
              r.deliveredPerSecond >= 0.5 * base.deliveredPerSecond ? "met" : "not met",
            ],
          ]
        : [];
    });
  return [
    "## Saturation (closed loop)",
    "",
    `Each meeting: ${load.senders} senders with ${load.inflight} messages each unanswered (the next goes when the sender gets its own back through the fan-out), ${load.messages} messages per meeting. delivered/s = frames received by all sockets / wall time. Latency here is queueing at saturation, not what a user sees (see the open loop).`,
    "",
    ...table(
      [
        "server",
        "scenario",
        "sockets",
        "messages",
        "deliveries (expected)",
        "seconds",
        "messages/s",
        "delivered/s",
        "p50 ms",
        "p99 ms",
      ],
      rows.map((r) => [
        r.server,
        r.scenario,
        String(r.sockets),
        String(r.messages),
        `${r.deliveries} (${r.expected})`,
        fmt(r.seconds, 2),
        fmt(r.messages / r.seconds, 0),
        fmt(r.deliveredPerSecond, 0),
        fmt(r.p50),
        fmt(r.p99),
      ]),
    ),
    "",
    "Saturation ratio chat / bare ws (same run; target ≥ 0.5×):",
    "",
    ...table(["scenario", "delivered/s ratio", "target"], ratios),
    "",
  ];
}

function openSection(rows: OpenLoopRow[], seconds: number): string[] {
  if (rows.length === 0) return [];
  return [
    "## Open loop (fixed offered rate)",
    "",
    `Messages are due at fixed times for ${seconds} s, spread over the meetings and over senders sending at most 2/s each; latency runs from the time a message was due to its receipt at each socket (no coordinated omission). A delivery still missing ${20} s after the last due time counts as lost (∞). send lag p99: how late the generator itself sent (it shares the cores).`,
    "",
    ...table(
      [
        "server",
        "scenario",
        "offered msg/s",
        "messages",
        "deliveries (expected)",
        "p50 ms",
        "p99 ms",
        "p99.9 ms",
        "max ms",
        "send lag p99 ms",
        "p99 < 100 ms",
      ],
      rows.map((r) => [
        r.server,
        r.scenario,
        String(r.rate),
        String(r.messages),
        `${r.deliveries} (${r.expected})`,
        fmt(r.p50),
        fmt(r.p99),
        fmt(r.p999),
        fmt(r.max),
        fmt(r.sendLagP99),
        r.server === "chat" ? (r.p99 < 100 ? "met" : "not met") : "",
      ]),
    ),
    "",
  ];
}

function memorySection(rows: MemoryRow[], notes: string[]): string[] {
  if (rows.length === 0) return [];
  const chat = [...rows].reverse().find((r) => r.server === "chat");
  const perReplica = chat
    ? (() => {
        const processBytes = chat.rssPerSocket * 50_000;
        const kernelBytes = (chat.kernelBufferPerSocketEnd + (chat.kernelObjectsPerSocketEnd ?? 0)) * 50_000;
        return [
          `50,000 sockets (100 meetings × 500) on one replica, from the ${chat.sockets}-socket row: ` +
            `${fmt(processBytes / 2 ** 20, 0)} MiB of process RSS (V8 heap alone: ${fmt((chat.heapPerSocket * 50_000) / 2 ** 20, 0)} MiB) ` +
            `plus ${fmt(kernelBytes / 2 ** 20, 0)} MiB in the kernel for idle sockets (objects${chat.kernelObjectsPerSocketEnd === undefined ? " not measured" : ""} and buffers), ` +
            "before any traffic fills socket buffers; and 50,000 open files (the pod's nofile limit must allow it).",
          "",
        ];
      })()
    : [];
  return [
    "## Memory per idle socket",
    "",
    "Idle sockets in meetings of 500. Before every sample the server is collected twice (`gc()` under `--expose-gc`, through its DevTools endpoint); five samples a second apart before and after the sockets open, medians compared. Kernel: /proc/net/sockstat TCP buffer pages and /proc/slabinfo (TCP, sock_inode_cache, filp, dentry, eventpoll_epi objects), per socket end (both ends are on this machine). System-wide figures: other processes' sockets move them too.",
    "",
    ...table(
      [
        "server",
        "sockets",
        "heap KiB/socket",
        "external KiB/socket",
        "RSS KiB/socket",
        "RSS spread KiB/socket",
        "kernel buffers KiB/end",
        "kernel objects KiB/end",
      ],
      rows.map((r) => [
        r.server,
        String(r.sockets),
        kib(r.heapPerSocket),
        kib(r.externalPerSocket),
        kib(r.rssPerSocket),
        kib(r.rssSpreadPerSocket),
        kib(r.kernelBufferPerSocketEnd),
        kib(r.kernelObjectsPerSocketEnd),
      ]),
    ),
    "",
    ...notes.map((n) => `Note: ${n}.`),
    ...(notes.length > 0 ? [""] : []),
    ...perReplica,
  ];
}

function profileSection(runs: ProfileRun[]): string[] {
  if (runs.length === 0) return [];
  return [
    "## CPU profile of the chat server (`node --cpu-prof`)",
    "",
    "The saturation shapes again, chat only, under the profiler (slower than the tables above): first with one message per transaction (`CHAT_COMMIT_BATCH_MAX=1`, `CHAT_COMMIT_CONCURRENCY=10`: the path before group commit), then with the defaults. Profiles stay in os.tmpdir().",
    "",
    ...runs.flatMap((run) => [
      `### ${run.label}`,
      "",
      ...table(
        ["scenario", "delivered/s", "messages/s", "p99 ms"],
        run.rows.map((r) => [
          r.scenario,
          fmt(r.deliveredPerSecond, 0),
          fmt(r.messages / r.seconds, 0),
          fmt(r.p99),
        ]),
      ),
      "",
      `Self time by origin (${fmt(run.summary.seconds, 0)} s profiled): ${run.summary.byOrigin
        .slice(0, 8)
        .map((o) => `${o.origin} ${fmt(o.share * 100)} %`)
        .join(", ")}.`,
      "",
      ...table(
        ["function (self time)", "origin", "share"],
        run.summary.topFunctions.map((f) => [`\`${f.name}\``, f.origin, `${fmt(f.share * 100)} %`]),
      ),
      "",
    ]),
  ];
}

export function render(report: Report): string {
  return [
    "# Chat performance results",
    "",
    "Written by `bench/chat/run.ts`; rerun the command to replace this file.",
    "",
    `- Command: \`${report.command}\``,
    `- Date: ${report.started.toISOString()}`,
    `- Machine: ${report.machine}`,
    `- Load average (1/5/15 min) before: ${loads(report.loadBefore)}, after: ${loads(report.loadAfter)}. Other work shares the cores when these are well above 0: absolute figures are then a floor, and the ratios compare servers under the same noise.`,
    `- Setup: one chat replica and the bare \`ws\` baseline (bench/chat/baseline-server.ts) as child processes, PostgreSQL 15 (two shard databases, fsync ${report.fsync}) and redis-server on the same machine; the load generator (this process: every socket, sender and receiver) shares the cores, so figures are per machine, not per server core. Chat acks after its batch commits, publishes through Redis and orders by seq; the baseline only stamps and broadcasts.`,
    "",
    ...saturationSection(report.saturation, report.load),
    ...openSection(report.open, report.openSeconds),
    ...memorySection(report.memory, report.memoryNotes),
    ...profileSection(report.profiles),
  ].join("\n");
}
