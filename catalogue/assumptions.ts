import { DEFAULT_MEDIA_HEADROOM } from "./media-pool.ts";
import {
  AUDIO_KBPS,
  AUDIO_PACKET_BYTES,
  FORWARDED_PPS_PER_VCPU,
  MAX_NODE_CPU_UTILISATION,
  MIDDLE_LAYER_KBPS,
  SPOTLIGHT_KBPS,
  TILE_KBPS,
  VIDEO_PACKET_BYTES,
} from "./room-model.ts";
import { DEFAULT_TILES_PER_VIEWER, PEAK_TILES_PER_VIEWER } from "./viewer-layout.ts";

/** Every number the planner assumes. Each has a flag (`--<flag> value`) and a source printed with the plan. */
export interface PlannerAssumptions {
  ppsPerVcpu: number;
  cpuCap: number;
  videoPacketBytes: number;
  audioPacketBytes: number;
  tilesPerViewer: number;
  peakTilesPerViewer: number;
  tileKbps: number;
  middleLayerKbps: number;
  spotlight: number;
  spotlightKbps: number;
  screenShares: number;
  screenShareKbps: number;
  speakers: number;
  audioKbps: number;
  headroom: number;
  hoursPerMonth: number;
  relayShare: number;
  turnNicCap: number;
  chatMessagesPerMeetingPerSecond: number;
  chatFramesPerCorePerSecond: number;
  joinWindowSeconds: number;
  passwordLoginShare: number;
  argon2VerifyMs: number;
  jwtVerifiesPerCorePerSecond: number;
  jwtSignsPerCorePerSecond: number;
  serviceCpuTarget: number;
  authReplicaCpu: number;
  meetingsReplicaCpu: number;
  chatReplicaCpu: number;
}

export interface AssumptionInfo {
  key: keyof PlannerAssumptions;
  flag: string;
  value: number;
  unit: string;
  source: string;
}

const LIVEKIT_BENCHMARK =
  "LiveKit benchmark, c2-standard-16 (https://docs.livekit.io/home/self-hosting/benchmark/)";
const MEETING_SHAPE = "ASSUMPTION: the planning shape of a 500-person meeting (docs/capacity.md#the-model)";

export const ASSUMPTIONS: readonly AssumptionInfo[] = [
  {
    key: "ppsPerVcpu",
    flag: "pps-per-vcpu",
    value: FORWARDED_PPS_PER_VCPU,
    unit: "forwarded packets/s per vCPU at 100 %",
    source: `${LIVEKIT_BENCHMARK}: 760k–960k pps at 80–85 % of 16 vCPU ≈ 40–50k; midpoint. Measured against livekit-server v1.13.5 on a 2-core machine (bench/media/RESULTS.md): 25k–35k per server core at 10–100 subscribers on the 720p layer, rising with N`,
  },
  {
    key: "cpuCap",
    flag: "cpu-cap",
    value: MAX_NODE_CPU_UTILISATION,
    unit: "share of a media node's CPU used",
    source: `${LIVEKIT_BENCHMARK}: the benchmark rows ran at 80–92 %; planned at the low end`,
  },
  {
    key: "videoPacketBytes",
    flag: "video-packet-bytes",
    value: VIDEO_PACKET_BYTES,
    unit: "bytes",
    source: `${LIVEKIT_BENCHMARK}: livestream row 531 MB/s ÷ 560,962 packets/s`,
  },
  {
    key: "audioPacketBytes",
    flag: "audio-packet-bytes",
    value: AUDIO_PACKET_BYTES,
    unit: "bytes",
    source: `${MEETING_SHAPE} (Opus packet with RTP/UDP/IP headers)`,
  },
  {
    key: "tilesPerViewer",
    flag: "tiles",
    value: DEFAULT_TILES_PER_VIEWER,
    unit: "tiles a viewer's default layout shows; prices transfer (--layout speaker|3x3|4x4|5x5 sets it)",
    source: `the app's default layout, passed to clients as clientSettings.maxVisibleVideoTiles (catalogue/viewer-layout.ts, docs/capacity.md "Default layout")`,
  },
  {
    key: "peakTilesPerViewer",
    flag: "peak-tiles",
    value: PEAK_TILES_PER_VIEWER,
    unit: "most tiles a viewer may receive; sizes media nodes and TURN droplets",
    source: `LiveKit subscription_limit_video (components/media/livekit-settings.ts); ${MEETING_SHAPE}: ~25 visible tiles`,
  },
  {
    key: "tileKbps",
    flag: "tile-kbps",
    value: TILE_KBPS,
    unit: "kbps per 180p tile (h180 simulcast layer)",
    source: `${MEETING_SHAPE}: ~25 packets/s × 950 B`,
  },
  {
    key: "middleLayerKbps",
    flag: "middle-layer-kbps",
    value: MIDDLE_LAYER_KBPS,
    unit: "kbps (h360 layer, published only)",
    source: "ASSUMPTION: geometric mean of the h180 and h540 layers",
  },
  {
    key: "spotlight",
    flag: "spotlight",
    value: 1,
    unit: "1 = every viewer also receives one large stream, 0 = none",
    source: `${MEETING_SHAPE}: one spotlight or screen share per viewer`,
  },
  {
    key: "spotlightKbps",
    flag: "spotlight-kbps",
    value: SPOTLIGHT_KBPS,
    unit: "kbps (h540 layer or shared screen)",
    source: `${MEETING_SHAPE}: ~100 packets/s × 950 B`,
  },
  {
    key: "screenShares",
    flag: "screen-shares",
    value: 0,
    unit: "screen shares received besides the spotlight",
    source: `${MEETING_SHAPE} budgets the share in the spotlight slot`,
  },
  {
    key: "screenShareKbps",
    flag: "screen-share-kbps",
    value: SPOTLIGHT_KBPS,
    unit: "kbps per extra screen share",
    source: "ASSUMPTION: same as the spotlight stream",
  },
  {
    key: "speakers",
    flag: "speakers",
    value: 3,
    unit: "audio streams forwarded at once",
    source: `${MEETING_SHAPE}: ~3 live speakers, DTX for the rest`,
  },
  {
    key: "audioKbps",
    flag: "audio-kbps",
    value: AUDIO_KBPS,
    unit: "kbps per audio stream",
    source: `${MEETING_SHAPE}: ~50 packets/s × 120 B`,
  },
  {
    key: "headroom",
    flag: "headroom",
    value: DEFAULT_MEDIA_HEADROOM,
    unit: "spare media nodes as a share of the target's nodes (at least 1)",
    source:
      "ASSUMPTION: node loss re-creates rooms elsewhere; rooms created within the 2 s node-stats window may share a node (https://docs.livekit.io/home/self-hosting/distributed/, docs/sources.md#livekit-distributed-setup)",
  },
  {
    key: "hoursPerMonth",
    flag: "hours-per-month",
    value: 176,
    unit: "hours a month the target meetings run",
    source: "ASSUMPTION: 22 business days × 8 h",
  },
  {
    key: "relayShare",
    flag: "relay-share",
    value: 0.1,
    unit: "share of participants relayed through TURN",
    source:
      "ASSUMPTION: peer-to-peer statistics put relayed calls at 8–22 % (docs/sources.md#turn-relay-share); against an SFU on a public IP only UDP-blocked clients relay",
  },
  {
    key: "turnNicCap",
    flag: "turn-nic-cap",
    value: 0.8,
    unit: "share of a TURN droplet's network cap used",
    source: "ASSUMPTION: coturn is bandwidth-bound; same 80 % margin as the media CPU cap",
  },
  {
    key: "chatMessagesPerMeetingPerSecond",
    flag: "chat-rate",
    value: 2,
    unit: "chat messages/s per meeting",
    source: "ASSUMPTION: a busy chat in a 500-person meeting; every message is one frame to each participant",
  },
  {
    key: "chatFramesPerCorePerSecond",
    flag: "chat-frames-per-core",
    value: 90_000,
    unit: "WebSocket frames/s per core",
    source:
      "bench/chat/RESULTS.md: a bare ws 8 broadcast server delivered ~90k frames/s on a shared 2-core machine (load generator on the same cores)",
  },
  {
    key: "joinWindowSeconds",
    flag: "join-window",
    value: 300,
    unit: "seconds in which every participant joins",
    source: "ASSUMPTION: all meetings start together and everyone joins within 5 minutes",
  },
  {
    key: "passwordLoginShare",
    flag: "login-share",
    value: 0.1,
    unit: "share of joins that need a password login (the rest refresh a session)",
    source: "ASSUMPTION",
  },
  {
    key: "argon2VerifyMs",
    flag: "argon2-ms",
    value: 12.5,
    unit: "ms of one core per password verification",
    source:
      "bench/auth/RESULTS.md: one argon2id hash (m=19 MiB, t=2, p=1) took 9.7 ms of CPU, p90 13.7 ms wall; planned between the two",
  },
  {
    key: "jwtVerifiesPerCorePerSecond",
    flag: "jwt-verifies-per-core",
    value: 4_500,
    unit: "token verifications/s per core",
    source:
      "jose EdDSA verify: ~9.5k/s on an Apple M1 Pro in https://github.com/nearform/fast-jwt/blob/master/benchmarks/README.md; planned at 4.5k for one cloud vCPU (4.5–4.7k measured with jose 6 on Node 20)",
  },
  {
    key: "jwtSignsPerCorePerSecond",
    flag: "jwt-signs-per-core",
    value: 6_600,
    unit: "token signatures/s per core",
    source:
      "jose EdDSA sign: ~19.5k/s on an Apple M1 Pro in https://github.com/nearform/fast-jwt/blob/master/benchmarks/README.md; planned at 6.6k for one cloud vCPU (6.6–8.4k measured with jose 6 on Node 20)",
  },
  {
    key: "serviceCpuTarget",
    flag: "service-cpu-target",
    value: 0.5,
    unit: "CPU utilisation a service replica is planned at",
    source: "ASSUMPTION: half the request, room for bursts and one replica's loss",
  },
  {
    key: "authReplicaCpu",
    flag: "auth-cpu",
    value: 0.5,
    unit: "cores per auth replica",
    source: "stacks/presets/production.ts (services.auth.cpu)",
  },
  {
    key: "meetingsReplicaCpu",
    flag: "meetings-cpu",
    value: 0.5,
    unit: "cores per meetings replica",
    source: "stacks/presets/production.ts (services.meetings.cpu)",
  },
  {
    key: "chatReplicaCpu",
    flag: "chat-cpu",
    value: 1,
    unit: "cores per chat replica",
    source: "stacks/presets/production.ts (services.chat.cpu)",
  },
];

export function defaultAssumptions(): PlannerAssumptions {
  return Object.fromEntries(ASSUMPTIONS.map((a) => [a.key, a.value])) as unknown as PlannerAssumptions;
}
