import type { DropletSize } from "./droplet-sizes.ts";

/**
 * How much one meeting room costs a LiveKit node. LiveKit hosts a room on exactly one node
 * (docs/sources.md#livekit-benchmark), so the node must carry the whole room.
 *
 * Anchors (LiveKit's benchmark, docs/sources.md#livekit-benchmark, and the planning shape in
 * docs/capacity.md#the-model):
 * - forwarding capacity: the published benchmark forwards ~760k–960k packets/s at 80–85 % of a 16-vCPU
 *   c2-standard-16, i.e. ≈ 40–50k forwarded packets/s per vCPU; we plan with 45k at 100 % and cap the node at
 *   80 % CPU.
 * - meeting shape: with adaptive stream each viewer receives ~25 visible 180p tiles at ~25
 *   packets/s, one spotlight or screen share at ~100 packets/s, and ~3 live speakers' audio at ~50 packets/s.
 * - packet size: the livestream benchmark moves 531 MB/s in 560,962 packets/s ≈ 950 bytes per video packet;
 *   Opus audio packets are ~120 bytes with headers.
 *
 * Streams are described by bitrate; packets/s follow from the packet size, so the shape's packet rates are the
 * bitrates 190 kbps (25 × 950 B × 8), 760 kbps (100 × 950 B × 8) and 48 kbps (50 × 120 B × 8).
 */
export interface MeetingShape {
  participants: number;
  /** Participants with their camera on (simulcast publishers). */
  videoPublishers: number;
  /** Tiles a viewer's layout shows at once; adaptive stream pauses the rest (docs/sources.md#livekit-client-defaults). */
  tilesPerViewer: number;
  /** Simulcast layer a grid tile is received at (the low h180 layer by default, docs/sources.md#livekit-client-defaults). */
  tileKbps: number;
  /** Whether every viewer also receives one large stream (active speaker at a high layer, or the shared screen). */
  spotlight: boolean;
  spotlightKbps: number;
  /** Screen shares received by every viewer in addition to the spotlight. */
  screenShares: number;
  screenShareKbps: number;
  /** Speakers whose audio is forwarded at once; Opus DTX silences the rest. */
  liveSpeakers: number;
  audioKbps: number;
  videoPacketBytes: number;
  audioPacketBytes: number;
  /** Layers a camera publishes (h180, h360, h540 by default, docs/sources.md#livekit-client-defaults): ingress only. */
  publishedLayersKbps: number[];
}

export const FORWARDED_PPS_PER_VCPU = 45_000;
export const MAX_NODE_CPU_UTILISATION = 0.8;

/** What one vCPU forwards and how hot a node may run; the planner's flags override the anchors above. */
export interface ForwardingCapacity {
  packetsPerSecondPerVcpu: number;
  cpuCap: number;
}
export const DEFAULT_FORWARDING: ForwardingCapacity = {
  packetsPerSecondPerVcpu: FORWARDED_PPS_PER_VCPU,
  cpuCap: MAX_NODE_CPU_UTILISATION,
};
export const VIDEO_PACKET_BYTES = 950;
export const AUDIO_PACKET_BYTES = 120;
export const TILE_KBPS = 190;
export const SPOTLIGHT_KBPS = 760;
export const AUDIO_KBPS = 48;
/** ASSUMPTION: the middle h360 layer at the geometric mean of h180 and h540 (sqrt(190 × 760) = 380 kbps). */
export const MIDDLE_LAYER_KBPS = 380;

/** Grid layouts as `lk load-test --layout` names them (docs/sources.md#livekit-load-tests): tiles visible per viewer. */
export const LAYOUT_TILES: Readonly<Record<string, number>> = { speaker: 0, "3x3": 9, "4x4": 16, "5x5": 25 };
/** LiveKit's `subscription_limit_video`: the most tiles any viewer receives (PEAK_TILES_PER_VIEWER). */
const PEAK_TILES = 25;

/**
 * The planning shape (docs/capacity.md#the-model) at its peak: a 5×5 grid of 180p tiles (LiveKit's subscription limit,
 * catalogue/viewer-layout.ts), a spotlight, 3 live speakers. Media nodes are sized for it.
 */
export function defaultMeetingShape(participants: number): MeetingShape {
  return {
    participants,
    videoPublishers: Math.min(PEAK_TILES, Math.max(0, participants - 1)),
    tilesPerViewer: PEAK_TILES,
    tileKbps: TILE_KBPS,
    spotlight: true,
    spotlightKbps: SPOTLIGHT_KBPS,
    screenShares: 0,
    screenShareKbps: SPOTLIGHT_KBPS,
    liveSpeakers: Math.min(3, participants),
    audioKbps: AUDIO_KBPS,
    videoPacketBytes: VIDEO_PACKET_BYTES,
    audioPacketBytes: AUDIO_PACKET_BYTES,
    publishedLayersKbps: [TILE_KBPS, MIDDLE_LAYER_KBPS, SPOTLIGHT_KBPS],
  };
}

export interface RoomLoad {
  /** Tiles each viewer actually receives: the layout's tiles, at most the other cameras. */
  visibleTiles: number;
  /** Packets/s and kbps one viewer receives. */
  perViewerPacketsPerSecond: number;
  perViewerKbps: number;
  forwardedPacketsPerSecond: number;
  egressGbps: number;
  /** Publishers' uploads to the SFU (inbound, not billed by DigitalOcean). */
  ingressGbps: number;
  /** vCPUs the room needs at the planned utilisation cap. */
  vcpusNeeded: number;
  forwarding: ForwardingCapacity;
}

function packetsPerSecond(kbps: number, packetBytes: number): number {
  return (kbps * 1000) / (8 * packetBytes);
}

export function roomLoad(shape: MeetingShape, forwarding: ForwardingCapacity = DEFAULT_FORWARDING): RoomLoad {
  const visibleTiles = Math.min(shape.tilesPerViewer, shape.videoPublishers);
  const videoKbps =
    visibleTiles * shape.tileKbps +
    (shape.spotlight ? shape.spotlightKbps : 0) +
    shape.screenShares * shape.screenShareKbps;
  const audioKbps = shape.liveSpeakers * shape.audioKbps;
  const perViewerPacketsPerSecond =
    packetsPerSecond(videoKbps, shape.videoPacketBytes) + packetsPerSecond(audioKbps, shape.audioPacketBytes);
  const perViewerKbps = videoKbps + audioKbps;
  const forwardedPacketsPerSecond = shape.participants * perViewerPacketsPerSecond;
  const publishedKbps =
    shape.videoPublishers * shape.publishedLayersKbps.reduce((a, b) => a + b, 0) +
    shape.screenShares * shape.screenShareKbps +
    shape.liveSpeakers * shape.audioKbps;
  return {
    visibleTiles,
    perViewerPacketsPerSecond,
    perViewerKbps,
    forwardedPacketsPerSecond,
    egressGbps: (shape.participants * perViewerKbps) / 1e6,
    ingressGbps: publishedKbps / 1e6,
    vcpusNeeded: forwardedPacketsPerSecond / (forwarding.packetsPerSecondPerVcpu * forwarding.cpuCap),
    forwarding,
  };
}

/** Why a node size cannot host one room of this shape, or undefined when it can. */
export function roomFitProblem(size: DropletSize, load: RoomLoad): string | undefined {
  if (size.vcpus < load.vcpusNeeded) {
    return `${size.slug} has ${size.vcpus} vCPU but one room needs ${load.vcpusNeeded.toFixed(1)} vCPU (${Math.round(load.forwardedPacketsPerSecond).toLocaleString("en-US")} forwarded packets/s at ${load.forwarding.packetsPerSecondPerVcpu.toLocaleString("en-US")} per vCPU, ${Math.round(load.forwarding.cpuCap * 100)} % CPU cap)`;
  }
  if (size.network_cap_gbps < load.egressGbps) {
    return `${size.slug} is capped at ${size.network_cap_gbps} Gbps but one room sends ${load.egressGbps.toFixed(2)} Gbps (use a Premium CPU-Optimized size with 10 Gbps)`;
  }
  return undefined;
}

/**
 * Rooms of this shape one node carries: every room whole on one node, limited by forwarding CPU and by the NIC.
 * Zero when a single room does not fit.
 */
export function roomsPerNode(size: DropletSize, load: RoomLoad): number {
  if (roomFitProblem(size, load)) return 0;
  if (load.forwardedPacketsPerSecond === 0) return Number.POSITIVE_INFINITY;
  const byCpu = Math.floor(size.vcpus / load.vcpusNeeded + 1e-9);
  const byNic = load.egressGbps > 0 ? Math.floor(size.network_cap_gbps / load.egressGbps + 1e-9) : byCpu;
  return Math.max(1, Math.min(byCpu, byNic));
}
