/**
 * Chat fan-out harness: `npx tsx bench/chat/run.ts [--big 500] [--meetings 40] [--per-meeting 25] [--messages 200]
 * [--inflight 16] [--memory-sockets 2000] [--out bench/chat/RESULTS.md]`
 *
 * Starts a throwaway PostgreSQL (two shard databases) and redis-server, the real chat server (`node --import tsx
 * apps/chat/src/server.ts`, a child process) and, in the same run, the bare `ws` broadcast baseline
 * (baseline-server.ts). Tickets are signed with auth's own signing-key and token code and verified by chat
 * through a JWKS endpoint; membership answers come from a loopback stand-in of the meetings endpoint.
 * Scenarios, each against both servers:
 * - one meeting of `--big` sockets; one sender sends `--messages` messages keeping `--inflight` unacknowledged;
 * - `--meetings` meetings of `--per-meeting` sockets in parallel, one sender each.
 * Reported: messages delivered per second (frames received by all sockets / wall time), p50/p99 delivery latency
 * (send → receipt, both stamped in this process), and server RSS growth per idle socket (a separate phase).
 * Everything binds 127.0.0.1. Not part of the test run.
 */
import { randomUUID } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { cpus, loadavg, totalmem } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { WebSocket } from "ws";
import { generateSigningKey, loadSigningKeys } from "../../apps/auth/src/signing-keys.ts";
import { TokenIssuer } from "../../apps/auth/src/tokens.ts";
import { migrateShards } from "../../apps/chat/src/migrate.ts";
import { createTestDatabase, startPostgres } from "../../test/support/postgres.ts";
import { freePort, spawnServer, stopProcess, waitFor } from "../../test/support/processes.ts";
import { startRedis } from "../../test/support/redis.ts";

const root = join(import.meta.dirname, "../..");
const { values } = parseArgs({
  options: {
    big: { type: "string", default: "500" },
    meetings: { type: "string", default: "40" },
    "per-meeting": { type: "string", default: "25" },
    messages: { type: "string", default: "200" },
    inflight: { type: "string", default: "16" },
    "memory-sockets": { type: "string", default: "2000" },
    out: { type: "string", default: join(root, "bench/chat/RESULTS.md") },
  },
});
const BIG = Number(values.big);
const MEETINGS = Number(values.meetings);
const PER_MEETING = Number(values["per-meeting"]);
const MESSAGES = Number(values.messages);
const INFLIGHT = Number(values.inflight);
const MEMORY_SOCKETS = Number(values["memory-sockets"]);
const ORIGIN = "https://app.gomeet.bench";
const ISSUER = "https://auth.gomeet.bench";

interface Target {
  name: string;
  pid: number;
  /** URL of one socket of a meeting (a fresh ticket each call for chat). */
  socketUrl(meetingId: string, userId: string): Promise<string>;
}

interface Row {
  server: string;
  scenario: string;
  sockets: number;
  messages: number;
  deliveries: number;
  seconds: number;
  perSecond: number;
  p50: number;
  p99: number;
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

function rssKb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
}

class Receiver {
  received = 0;
  constructor(
    readonly socket: WebSocket,
    onEvent: (id: string) => void,
  ) {
    socket.on("message", (data) => {
      const text = data.toString();
      if (!text.includes('"type":"event"')) return;
      this.received++;
      const frame = JSON.parse(text) as { id: string };
      onEvent(frame.id);
    });
  }
}

async function open(url: string): Promise<WebSocket> {
  const socket = new WebSocket(url, { origin: ORIGIN, perMessageDeflate: false });
  await new Promise<void>((resolve, reject) => {
    socket.once("open", resolve);
    socket.once("error", reject);
    socket.once("unexpected-response", (_q, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
  });
  return socket;
}

/** Opens `size` sockets per meeting, in batches, and returns them grouped by meeting. */
async function connectMeetings(
  target: Target,
  meetingIds: string[],
  size: number,
  record: (id: string) => void,
) {
  const groups: Receiver[][] = meetingIds.map(() => []);
  const jobs = meetingIds.flatMap((m, g) => Array.from({ length: size }, () => ({ m, g })));
  for (let i = 0; i < jobs.length; i += 50) {
    await Promise.all(
      jobs.slice(i, i + 50).map(async ({ m, g }) => {
        const socket = await open(await target.socketUrl(m, randomUUID()));
        groups[g]!.push(new Receiver(socket, record));
      }),
    );
  }
  // Let chat's welcome/synced/presence traffic settle before measuring.
  await new Promise((r) => setTimeout(r, 1000));
  return groups;
}

async function scenario(target: Target, name: string, meetings: number, size: number): Promise<Row> {
  const meetingIds = Array.from({ length: meetings }, () => randomUUID());
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  const ownEcho = new Map<string, () => void>();
  const record = (id: string) => {
    const t = sentAt.get(id);
    if (t !== undefined) latencies.push(performance.now() - t);
    ownEcho.get(id)?.();
  };
  const groups = await connectMeetings(target, meetingIds, size, record);
  const started = performance.now();
  await Promise.all(
    groups.map(async (group) => {
      const sender = group[0]!.socket;
      let next = 0;
      const worker = async () => {
        while (next < MESSAGES) {
          next++;
          const id = randomUUID();
          const echoed = new Promise<void>((resolve) => ownEcho.set(id, resolve));
          sentAt.set(id, performance.now());
          sender.send(JSON.stringify({ v: 1, type: "send", id, text: `bench ${next}` }));
          await echoed;
          ownEcho.delete(id);
        }
      };
      await Promise.all(Array.from({ length: INFLIGHT }, worker));
    }),
  );
  const expected = meetings * size * MESSAGES;
  await waitFor(
    "every delivery",
    async () => groups.flat().reduce((n, r) => n + r.received, 0) >= expected,
    60_000,
  ).catch(() => undefined);
  const seconds = (performance.now() - started) / 1000;
  const deliveries = groups.flat().reduce((n, r) => n + r.received, 0);
  for (const r of groups.flat()) r.socket.terminate();
  await new Promise((r) => setTimeout(r, 500));
  latencies.sort((a, b) => a - b);
  return {
    server: target.name,
    scenario: name,
    sockets: meetings * size,
    messages: meetings * MESSAGES,
    deliveries,
    seconds,
    perSecond: deliveries / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
  };
}

/**
 * Memory per socket: the server's VmRSS before and after `sockets` idle sockets join `meetings` meetings,
 * each reading settled for 3 s. Large enough that GC noise (a few MB) stays small against the growth.
 */
async function memoryPerSocket(target: Target, sockets: number, meetings: number): Promise<number> {
  await new Promise((r) => setTimeout(r, 3000));
  const before = rssKb(target.pid);
  const groups = await connectMeetings(
    target,
    Array.from({ length: meetings }, () => randomUUID()),
    sockets / meetings,
    () => undefined,
  );
  await new Promise((r) => setTimeout(r, 3000));
  const after = rssKb(target.pid);
  for (const r of groups.flat()) r.socket.terminate();
  await new Promise((r) => setTimeout(r, 1000));
  return (after - before) / sockets;
}

async function main() {
  const loadBefore = loadavg()[0] ?? 0;
  const pg = await startPostgres();
  const shards = [
    await createTestDatabase(pg.adminUrl, "bench_chat_s0"),
    await createTestDatabase(pg.adminUrl, "bench_chat_s1"),
  ];
  const shardUrls = shards.map((s) => s.url).join(",");
  if ((await migrateShards({ CHAT_SHARD_URLS: shardUrls })) !== 0) throw new Error("migrations failed");
  const redis = await startRedis();

  const keys = await loadSigningKeys(
    JSON.stringify({ keys: [await generateSigningKey("EdDSA")] }),
    undefined,
  );
  const issuer = new TokenIssuer({
    keys,
    issuer: ISSUER,
    audience: "gomeet",
    accessTokenTtlSeconds: 300,
    chatTicketTtlSeconds: 60,
  });
  // JWKS and the meetings membership endpoint (every user an attendee) on loopback.
  const side = createServer((req, res) => {
    if (req.url === "/.well-known/jwks.json")
      return void res
        .writeHead(200, { "content-type": "application/json" })
        .end(JSON.stringify(keys.publicJwks));
    if (req.url?.startsWith("/internal/meetings/"))
      return void res.writeHead(200, { "content-type": "application/json" }).end('{"role":"attendee"}');
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => side.listen(0, "127.0.0.1", resolve));
  const sideUrl = `http://127.0.0.1:${(side.address() as AddressInfo).port}`;

  const chatPort = await freePort();
  const chat = spawnServer(process.execPath, ["--import", "tsx", "apps/chat/src/server.ts"], {
    cwd: root,
    env: {
      PATH: process.env.PATH,
      PORT: String(chatPort),
      HOST: "127.0.0.1",
      LOG_LEVEL: "warn",
      CHAT_SHARD_URLS: shardUrls,
      REDIS_URL: redis.url,
      AUTH_JWKS_URL: `${sideUrl}/.well-known/jwks.json`,
      AUTH_ISSUER: ISSUER,
      MEETINGS_URL: sideUrl,
      CHAT_ALLOWED_ORIGINS: ORIGIN,
      CHAT_RATE_MESSAGES: "1000000/1s",
      CHAT_RATE_SIGNALS: "1000000/1s",
    },
  });
  await waitFor(
    "chat to be ready",
    async () => (await fetch(`http://127.0.0.1:${chatPort}/readyz`)).status === 200,
    30_000,
  );
  const basePort = await freePort();
  const baseline = spawnServer(process.execPath, ["--import", "tsx", "bench/chat/baseline-server.ts"], {
    cwd: root,
    env: { PATH: process.env.PATH, PORT: String(basePort) },
  });
  await waitFor("baseline to listen", async () => baseline.output().includes("listening"), 30_000);

  const chatTarget: Target = {
    name: "chat",
    pid: chat.child.pid!,
    async socketUrl(meetingId, userId) {
      const { token } = await issuer.chatTicket(
        { id: userId, roles: ["member"], displayName: "Bench" },
        meetingId,
      );
      return `ws://127.0.0.1:${chatPort}/v1/chat/ws?${new URLSearchParams({ meetingId, ticket: token })}`;
    },
  };
  const baseTarget: Target = {
    name: "bare ws",
    pid: baseline.child.pid!,
    socketUrl: async (meetingId) => `ws://127.0.0.1:${basePort}/?room=${meetingId}`,
  };

  const rows: Row[] = [];
  const memory = new Map<string, number>();
  try {
    for (const target of [baseTarget, chatTarget]) {
      // Warm-up (JIT, pools, first subscriptions), not recorded.
      await scenario(target, "warm-up", 2, 20);
      rows.push(await scenario(target, `1 meeting × ${BIG}`, 1, BIG));
      rows.push(await scenario(target, `${MEETINGS} meetings × ${PER_MEETING}`, MEETINGS, PER_MEETING));
      memory.set(target.name, await memoryPerSocket(target, MEMORY_SOCKETS, 20));
      process.stderr.write(`${JSON.stringify(rows.slice(-2))}\n`);
    }
  } finally {
    await stopProcess(chat.child);
    await stopProcess(baseline.child);
    side.close();
    await redis.stop();
    await pg.stop();
  }
  const loadAfter = loadavg()[0] ?? 0;
  const text = render(rows, memory, loadBefore, loadAfter);
  writeFileSync(values.out, text);
  process.stdout.write(text);
}

function render(rows: Row[], memory: Map<string, number>, loadBefore: number, loadAfter: number): string {
  const fmt = (n: number, d = 1) => n.toFixed(d);
  const table = [
    "| server | scenario | sockets | messages sent | deliveries | seconds | messages/s | delivered/s | p50 ms | p99 ms |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ...rows.map(
      (r) =>
        `| ${r.server} | ${r.scenario} | ${r.sockets} | ${r.messages} | ${r.deliveries} | ${fmt(r.seconds, 2)} | ${fmt(r.messages / r.seconds, 0)} | ${fmt(r.perSecond, 0)} | ${fmt(r.p50)} | ${fmt(r.p99)} |`,
    ),
  ];
  const ratios = rows
    .filter((r) => r.server === "chat")
    .map((r) => {
      const base = rows.find((b) => b.server === "bare ws" && b.scenario === r.scenario);
      return base
        ? `| ${r.scenario} | ${fmt(r.perSecond / base.perSecond, 2)} | ${fmt(r.p50 / base.p50, 1)} | ${fmt(r.p99 / base.p99, 1)} |`
        : "";
    });
  return [
    "# Chat fan-out results",
    "",
    "Written by `bench/chat/run.ts`; rerun it to replace this file.",
    "",
    `- Command: \`npx tsx bench/chat/run.ts --big ${BIG} --meetings ${MEETINGS} --per-meeting ${PER_MEETING} --messages ${MESSAGES} --inflight ${INFLIGHT} --memory-sockets ${MEMORY_SOCKETS}\``,
    `- Date: ${new Date().toISOString()}`,
    `- Machine: \`nproc\` = ${cpus().length}, ${cpus()[0]?.model ?? "unknown CPU"}, ${Math.round(totalmem() / 2 ** 30)} GiB RAM; \`node --version\` = ${process.version}`,
    `- Load average (1 min) before the run: ${fmt(loadBefore, 2)}, after: ${fmt(loadAfter, 2)} (other work shared the cores when this is well above 0).`,
    "- Setup: one chat replica (child process) with PostgreSQL 15 (two shard databases, fsync off) and redis-server on the same machine; the bare `ws` baseline is another child process; the load generator (this script: every socket, sender and receiver) shares the same 2 cores, so figures are per machine, not per server core.",
    `- Each meeting has one sender keeping ${INFLIGHT} messages in flight (the next goes when the sender receives one of its own back through the fan-out). Chat acks after the Postgres commit, publishes through Redis and orders by seq; the baseline only stamps and broadcasts.`,
    "- Latency: send → receipt at each socket, both times taken in this process; messages/s = messages sent / wall time (for chat: stored, acked and fanned out); delivered/s = frames received by all sockets / wall time.",
    "",
    ...table,
    "",
    "Ratio chat / bare ws (same run):",
    "",
    "| scenario | delivered/s | p50 | p99 |",
    "| --- | --- | --- | --- |",
    ...ratios,
    "",
    `Memory: server VmRSS growth per idle socket, ${MEMORY_SOCKETS} sockets in 20 meetings, measured 3 s after they connected (no forced GC):`,
    "",
    "| server | KiB per socket |",
    "| --- | --- |",
    ...[...memory].map(([name, kb]) => `| ${name} | ${fmt(kb)} |`),
    "",
  ].join("\n");
}

await main();
