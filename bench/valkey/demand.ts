/**
 * What a 500-person meeting asks of its Valkey shard, from the product's own figures and the services' defaults,
 * and what that comes to on one shard of N against the capacity measured here (drive.ts).
 */
import { randomUUID } from "node:crypto";
import { shardIndex } from "../../apps/shared/src/index.ts";
import type { PhaseResult } from "./drive.ts";
import { type OperationKind, PARTICIPANTS, SETTINGS } from "./operations.ts";

export interface Assumption {
  what: string;
  value: string;
  source: string;
}

type Rates = Partial<Record<OperationKind, number>>;

export interface DemandInputs {
  meetings: number;
  shards: number;
  joinStormSeconds: number;
  messagesPerSecond: number;
  signalsPerSecond: number;
  reconcileSeconds: number;
  meetingsReplicas: number;
  accessTokenTtlSeconds: number;
}

export const DEFAULT_DEMAND: DemandInputs = {
  meetings: 100,
  shards: 3,
  joinStormSeconds: 60,
  messagesPerSecond: 20,
  signalsPerSecond: 20,
  reconcileSeconds: 30,
  meetingsReplicas: 3,
  accessTokenTtlSeconds: 300,
};

/** The lapse of a created-room mark (CREATED_MARK_MS, apps/meetings/src/room-provisioner.ts). */
const ROOM_MARK_SECONDS = 20;

export function assumptions(d: DemandInputs, subscribers: number): Assumption[] {
  return [
    {
      what: "participants per meeting",
      value: String(PARTICIPANTS),
      source: "bench/meetings/RESULTS.md, bench/chat/RESULTS.md (1 meeting × 500)",
    },
    {
      what: "concurrent meetings / app shards",
      value: `${d.meetings} / ${d.shards}`,
      source:
        "issue target (bench/meetings: 100 meetings × 500 joins); `valkey.shards` in stacks/presets/production.ts",
    },
    {
      what: "join storm",
      value: `${PARTICIPANTS} joins in the first ${d.joinStormSeconds} s (${fmt(PARTICIPANTS / d.joinStormSeconds, 2)}/s)`,
      source:
        "assumption; bench/meetings/RESULTS.md also measures all 500 at once. Peak = storm + steady traffic, all meetings storming together",
    },
    {
      what: "Redis work per join",
      value:
        "seat-admit, seat-connected, chat-ticket (shard 0), chat-presence-join, chat-signal (presence edge); room-mark once per room per 20 s",
      source:
        "apps/meetings/src/meeting-join.ts, livekit-webhooks.ts, room-provisioner.ts; apps/chat/src/handshake.ts, chat-session.ts",
    },
    {
      what: "chat messages",
      value: `${d.messagesPerSecond}/s per meeting, each one chat-rate-limit + one chat-publish`,
      source: "bench/chat/RESULTS.md open loop (1 meeting × 500 at 20 msg/s); apps/chat/src/chat-session.ts",
    },
    {
      what: "signals (hands, reactions)",
      value: `${d.signalsPerSecond}/s per meeting, each one chat-rate-limit + one chat-signal`,
      source: "assumption (as many as messages)",
    },
    {
      what: "fan-out",
      value: `every PUBLISH reaches ${subscribers} subscribed chat replicas`,
      source:
        "production chat min/max replicas 3/20 (stacks/presets/production.ts); with 500 sockets every replica has some",
    },
    {
      what: "chat heartbeats",
      value: `one chat-presence-refresh per socket every ${SETTINGS.heartbeatMs / 1000} s`,
      source: "CHAT_HEARTBEAT_MS default, apps/chat/src/config.ts; apps/chat/src/app.ts",
    },
    {
      what: "seat reconciliation",
      value: `one seat-reconcile (${PARTICIPANTS} identities) per meeting per meetings replica every ${d.reconcileSeconds} s, ${d.meetingsReplicas} replicas`,
      source:
        "MEETINGS_RECONCILE_INTERVAL_SECONDS default, apps/meetings/src/config.ts; meetings minReplicas, stacks/presets/production.ts",
    },
    {
      what: "auth rate limits",
      value: `each participant refreshes its access token every ${d.accessTokenTtlSeconds} s: two chat-rate-limit-sized GCRA checks, on shard 0`,
      source:
        "AUTH_ACCESS_TOKEN_TTL_SECONDS default, apps/auth/src/config.ts; routes/auth-routes.ts; REDIS_URL = shard 0 (infra/layers/apps.ts)",
    },
  ];
}

export interface Demand {
  /** Per meeting, on its own shard. */
  steady: Rates;
  /** Per meeting, added while it fills. */
  storm: Rates;
  /** On shard 0 for the whole platform (auth, chat tickets), steady and added during the storms. */
  shardZeroSteady: Rates;
  shardZeroStorm: Rates;
}

export function demand(d: DemandInputs): Demand {
  const joins = PARTICIPANTS / d.joinStormSeconds;
  return {
    steady: {
      "chat-publish": d.messagesPerSecond,
      "chat-signal": d.signalsPerSecond,
      "chat-rate-limit": d.messagesPerSecond + d.signalsPerSecond,
      "chat-presence-refresh": PARTICIPANTS / (SETTINGS.heartbeatMs / 1000),
      "seat-reconcile": d.meetingsReplicas / d.reconcileSeconds,
    },
    storm: {
      "seat-admit": joins,
      "seat-connected": joins,
      "chat-presence-join": joins,
      "chat-signal": joins,
      "room-mark": 1 / ROOM_MARK_SECONDS,
    },
    shardZeroSteady: { "chat-rate-limit": (d.meetings * PARTICIPANTS * 2) / d.accessTokenTtlSeconds },
    shardZeroStorm: { "chat-ticket": d.meetings * joins },
  };
}

const add = (...all: Rates[]): Rates => {
  const sum: Rates = {};
  for (const rates of all)
    for (const [kind, r] of Object.entries(rates))
      sum[kind as OperationKind] = (sum[kind as OperationKind] ?? 0) + r;
  return sum;
};
const scale = (rates: Rates, k: number): Rates =>
  Object.fromEntries(Object.entries(rates).map(([kind, r]) => [kind, r * k]));

export interface Load {
  scenario: string;
  opsPerSecond: number;
  /** redis-server CPU the load needs, µs per second (10⁶ = one core). */
  cpuMicrosPerSecond: number;
  /** One core ÷ the CPU the load needs. */
  cpuHeadroom: number;
  /** The mix's measured throughput here ÷ the load's ops/s. */
  throughputHeadroom: number;
}

/** The measured row for an operation; for fan-out, the one with the most subscribers (the dearer one). */
export function measured(results: PhaseResult[], kind: OperationKind): PhaseResult {
  const rows = results.filter((r) => r.kind === kind).sort((a, b) => b.subscribers - a.subscribers);
  if (!rows[0]) throw new Error(`no measurement of ${kind}: run every phase to compute the demand`);
  return rows[0];
}

function load(scenario: string, rates: Rates, results: PhaseResult[]): Load {
  let ops = 0;
  let cpu = 0;
  let time = 0;
  for (const [kind, r] of Object.entries(rates)) {
    const row = measured(results, kind as OperationKind);
    ops += r;
    cpu += r * row.cpuMicrosPerOp;
    time += r / row.opsPerSecond;
  }
  return {
    scenario,
    opsPerSecond: ops,
    cpuMicrosPerSecond: cpu,
    cpuHeadroom: 1e6 / cpu,
    throughputHeadroom: 1 / time,
  };
}

/** p99 over random draws of the most meetings one shard gets when `meetings` random ids hash onto `shards`. */
export function busiestShard(meetings: number, shards: number, draws = 10_000): number {
  const maxima: number[] = [];
  for (let i = 0; i < draws; i++) {
    const counts = new Array<number>(shards).fill(0);
    for (let m = 0; m < meetings; m++) counts[shardIndex(randomUUID(), shards)]!++;
    maxima.push(Math.max(...counts));
  }
  maxima.sort((a, b) => a - b);
  return maxima[Math.floor(0.99 * maxima.length)] ?? meetings;
}

export function loads(d: DemandInputs, results: PhaseResult[], busiest: number): Load[] {
  const m = demand(d);
  const peak = add(m.steady, m.storm);
  const average = d.meetings / d.shards;
  return [
    load("one meeting, steady", m.steady, results),
    load("one meeting, join-storm peak", peak, results),
    load(`average shard (${fmt(average, 1)} meetings), steady`, scale(m.steady, average), results),
    load(`average shard (${fmt(average, 1)} meetings), all in join storm`, scale(peak, average), results),
    load(
      `busiest shard (${busiest} meetings) that is also shard 0, steady`,
      add(scale(m.steady, busiest), m.shardZeroSteady),
      results,
    ),
    load(
      `busiest shard (${busiest} meetings) that is also shard 0, all in join storm`,
      add(scale(peak, busiest), m.shardZeroSteady, m.shardZeroStorm),
      results,
    ),
  ];
}

export function perMeetingRates(d: DemandInputs): { kind: OperationKind; steady: number; storm: number }[] {
  const m = demand(d);
  const kinds = new Set([...Object.keys(m.steady), ...Object.keys(m.storm)] as OperationKind[]);
  return [...kinds].map((kind) => ({ kind, steady: m.steady[kind] ?? 0, storm: m.storm[kind] ?? 0 }));
}

export function fmt(n: number, digits = 1): string {
  return Number.isFinite(n)
    ? n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits })
    : "–";
}
