/**
 * Chat performance against the bare `ws` broadcast baseline, measured in the same run on the same machine:
 * `npx tsx bench/chat/run.ts` (flags below; `--help` prints them). Not part of the test run.
 *
 * Phases (`--phases`, default all, in this order):
 * - saturation: closed loop (closed-loop.ts), 1 meeting × `--big` and `--meetings` × `--per-meeting`;
 * - open: open loop (open-loop.ts) at `--big-rate` and `--many-rate` messages/s for `--open-seconds`;
 * - memory: heap, RSS and kernel memory per idle socket at each of `--memory-sockets` (memory.ts);
 * - profile: chat again under `node --cpu-prof` (profiles in os.tmpdir(), never in the repository), the
 *   saturation shapes with one message per transaction and with group commit, summarized by profile.ts.
 * Everything binds 127.0.0.1. PostgreSQL runs with fsync on unless `--fsync off`.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { type ClosedLoopRow, closedLoop } from "./closed-loop.ts";
import { type MemoryRow, memoryPerSocket } from "./memory.ts";
import { type OpenLoopRow, openLoop } from "./open-loop.ts";
import { type ProfileSummary, summarizeProfile } from "./profile.ts";
import { render } from "./report.ts";
import { root, startBenchStack, type Target } from "./stack.ts";

const PHASES = ["saturation", "open", "memory", "profile"] as const;
const { values } = parseArgs({
  options: {
    big: { type: "string", default: "500" },
    meetings: { type: "string", default: "40" },
    "per-meeting": { type: "string", default: "25" },
    messages: { type: "string", default: "200" },
    senders: { type: "string", default: "8" },
    inflight: { type: "string", default: "2" },
    "big-rate": { type: "string", default: "20" },
    "many-rate": { type: "string", default: "400" },
    "open-seconds": { type: "string", default: "10" },
    "memory-sockets": { type: "string", default: "2000,20000" },
    phases: { type: "string", default: PHASES.join(",") },
    fsync: { type: "string", default: "on" },
    out: { type: "string", default: join(root, "bench/chat/RESULTS.md") },
    help: { type: "boolean", default: false },
  },
});

function positive(name: string, text: string | undefined): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`--${name}: expected a positive integer, got ${JSON.stringify(text)}`);
  return n;
}

if (values.help) {
  process.stdout.write(
    "npx tsx bench/chat/run.ts [--big 500] [--meetings 40] [--per-meeting 25] [--messages 200] [--senders 8]\n" +
      "  [--inflight 2] [--big-rate 20] [--many-rate 400] [--open-seconds 10] [--memory-sockets 2000,20000]\n" +
      `  [--phases ${PHASES.join(",")}] [--fsync on|off] [--out bench/chat/RESULTS.md]\n`,
  );
  process.exit(0);
}

export const settings = {
  big: positive("big", values.big),
  meetings: positive("meetings", values.meetings),
  perMeeting: positive("per-meeting", values["per-meeting"]),
  messages: positive("messages", values.messages),
  senders: positive("senders", values.senders),
  inflight: positive("inflight", values.inflight),
  bigRate: positive("big-rate", values["big-rate"]),
  manyRate: positive("many-rate", values["many-rate"]),
  openSeconds: positive("open-seconds", values["open-seconds"]),
  memorySockets: (values["memory-sockets"] ?? "").split(",").map((n) => positive("memory-sockets", n.trim())),
  phases: (values.phases ?? "").split(",").map((p) => p.trim()),
  fsync: values.fsync === "off" ? ("off" as const) : ("on" as const),
};
for (const phase of settings.phases)
  if (!(PHASES as readonly string[]).includes(phase))
    throw new Error(`--phases: expected some of ${PHASES.join(", ")}, got ${JSON.stringify(phase)}`);
if (values.fsync !== "on" && values.fsync !== "off")
  throw new Error(`--fsync: expected on or off, got ${JSON.stringify(values.fsync)}`);

const log = (line: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);

/** Open files this process (and the servers it starts, which inherit it) may hold. */
function openFileLimit(): number {
  const line = /Max open files\s+(\d+)/.exec(readFileSync("/proc/self/limits", "utf8"));
  return Number(line?.[1] ?? 1024);
}

/**
 * Each idle socket is one descriptor in the server and one here. The limit is raised when this process may
 * (prlimit, inherited by the servers); otherwise a count above it is lowered to fit, and the report says so.
 */
function fitOpenFiles(sockets: number): { sockets: number; note?: string } {
  const spare = 500;
  if (openFileLimit() >= sockets + spare) return { sockets };
  try {
    execFileSync(
      "prlimit",
      ["--pid", String(process.pid), `--nofile=${sockets + spare}:${sockets + spare}`],
      {
        stdio: "ignore",
      },
    );
    log(`open-file limit raised to ${openFileLimit()} for ${sockets} sockets`);
    return { sockets };
  } catch {
    const fitted = openFileLimit() - spare;
    const note = `${sockets} sockets requested; the open-file limit here is ${openFileLimit()} and may not be raised (no CAP_SYS_RESOURCE), so ${fitted} were measured (the server and this process each hold one descriptor per socket)`;
    log(note);
    return { sockets: fitted, note };
  }
}

const shapes = () => [
  { name: `1 meeting × ${settings.big}`, meetings: 1, size: settings.big, rate: settings.bigRate },
  {
    name: `${settings.meetings} meetings × ${settings.perMeeting}`,
    meetings: settings.meetings,
    size: settings.perMeeting,
    rate: settings.manyRate,
  },
];

export interface ProfileRun {
  label: string;
  rows: ClosedLoopRow[];
  summary: ProfileSummary;
}

async function main() {
  const fitted = settings.memorySockets.map(fitOpenFiles);
  const loadBefore = loadavg();
  const started = new Date();
  const stack = await startBenchStack({ fsync: settings.fsync });
  const saturation: ClosedLoopRow[] = [];
  const open: OpenLoopRow[] = [];
  const memory: MemoryRow[] = [];
  const profiles: ProfileRun[] = [];
  const load = { messages: settings.messages, senders: settings.senders, inflight: settings.inflight };
  try {
    const phases = new Set(settings.phases);
    if (phases.has("saturation") || phases.has("open") || phases.has("memory")) {
      const targets: Target[] = [await stack.startBaseline(), await stack.startChat()];
      for (const target of targets) {
        // Warm-up (JIT, pools, first subscriptions), not recorded.
        await closedLoop(target, { name: "warm-up", meetings: 2, size: 20 }, { ...load, messages: 50 });
      }
      if (phases.has("saturation")) {
        for (const shape of shapes())
          for (const target of targets) {
            log(`saturation ${shape.name} on ${target.name}`);
            saturation.push(await closedLoop(target, shape, load));
          }
      }
      if (phases.has("open")) {
        for (const shape of shapes())
          for (const target of targets) {
            log(`open loop ${shape.name} at ${shape.rate}/s on ${target.name}`);
            open.push(await openLoop(target, shape, shape.rate, settings.openSeconds));
          }
      }
      if (phases.has("memory")) {
        for (const { sockets } of fitted)
          for (const target of targets) {
            log(`memory: ${sockets} idle sockets on ${target.name}`);
            memory.push(await memoryPerSocket(target, sockets, log));
          }
      }
      for (const target of targets) await target.stop();
    }
    if (phases.has("profile")) {
      const variants: Array<{ label: string; env: Record<string, string> }> = [
        // One message per transaction: the path before group commit, as many at once as the pool allows.
        {
          label: "one message per transaction",
          env: { CHAT_COMMIT_BATCH_MAX: "1", CHAT_COMMIT_CONCURRENCY: "10" },
        },
        { label: "group commit (defaults)", env: {} },
      ];
      for (const variant of variants) {
        const dir = mkdtempSync(join(tmpdir(), "gomeet-chat-cpuprof-"));
        const chat = await stack.startChat({
          nodeFlags: ["--cpu-prof", `--cpu-prof-dir=${dir}`],
          env: variant.env,
        });
        await closedLoop(chat, { name: "warm-up", meetings: 2, size: 20 }, { ...load, messages: 50 });
        const rows: ClosedLoopRow[] = [];
        for (const shape of shapes()) {
          log(`profile (${variant.label}): ${shape.name}`);
          rows.push(await closedLoop(chat, shape, load));
        }
        await chat.stop();
        const file = readdirSync(dir).find((f) => f.endsWith(".cpuprofile"));
        if (!file) throw new Error(`no CPU profile was written in ${dir}`);
        log(`profile written: ${join(dir, file)}`);
        profiles.push({ label: variant.label, rows, summary: summarizeProfile(join(dir, file)) });
      }
    }
  } finally {
    await stack.stop();
  }
  const text = render({
    command: commandLine(),
    started,
    machine: `\`nproc\` = ${cpus().length}, ${cpus()[0]?.model ?? "unknown CPU"}, ${Math.round(totalmem() / 2 ** 30)} GiB RAM; \`node --version\` = ${process.version}`,
    loadBefore,
    loadAfter: loadavg(),
    fsync: settings.fsync,
    load,
    openSeconds: settings.openSeconds,
    saturation,
    open,
    memory,
    memoryNotes: fitted.flatMap((f) => (f.note ? [f.note] : [])),
    profiles,
  });
  const out = values.out ?? join(root, "bench/chat/RESULTS.md");
  writeFileSync(out, text + keptReading(out));
  process.stdout.write(text);
}

/** The hand-written reading below READING_MARKER in the previous file survives a rerun (to be updated by hand). */
export const READING_MARKER = "<!-- Reading: written by hand, kept by run.ts across reruns -->";

function keptReading(out: string): string {
  if (!existsSync(out)) return "";
  const previous = readFileSync(out, "utf8");
  const at = previous.indexOf(READING_MARKER);
  return at < 0 ? "" : `\n${previous.slice(at)}`;
}

function commandLine(): string {
  const s = settings;
  return (
    `npx tsx bench/chat/run.ts --big ${s.big} --meetings ${s.meetings} --per-meeting ${s.perMeeting}` +
    ` --messages ${s.messages} --senders ${s.senders} --inflight ${s.inflight} --big-rate ${s.bigRate}` +
    ` --many-rate ${s.manyRate} --open-seconds ${s.openSeconds} --memory-sockets ${s.memorySockets.join(",")}` +
    ` --phases ${s.phases.join(",")} --fsync ${s.fsync}`
  );
}

await main();
