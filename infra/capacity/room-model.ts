import type { DropletSize } from "./droplet-sizes.ts";

/**
 * How much one meeting room costs a LiveKit node. LiveKit hosts a room on exactly one node
 * (../shared/reference/livekit.md §4.2), so the node must carry the whole room.
 *
 * Anchors (livekit.md §4.1 and §4.5):
 * - forwarding capacity: the published benchmark forwards ~760k–960k packets/s at 80–85 % of a 16-vCPU
 *   c2-standard-16, i.e. ≈ 40–50k forwarded packets/s per vCPU; we plan with 45k at 100 % and cap the node at
 *   80 % CPU.
 * - meeting shape (livekit.md §4.5): with adaptive stream each viewer receives ~25 visible 180p tiles at ~25
 *   packets/s, one spotlight or screen share at ~100 packets/s, and ~3 live speakers' audio at ~50 packets/s.
 * - packet size: the livestream benchmark moves 531 MB/s in 560,962 packets/s ≈ 950 bytes per video packet;
 *   Opus audio packets are ~120 bytes with headers.
 */
export interface MeetingShape {
  participants: number;
  visibleTiles: number;
  tilePacketsPerSecond: number;
  spotlightPacketsPerSecond: number;
  liveSpeakers: number;
  audioPacketsPerSecond: number;
  videoPacketBytes: number;
  audioPacketBytes: number;
}

export const FORWARDED_PPS_PER_VCPU = 45_000;
export const MAX_NODE_CPU_UTILISATION = 0.8;

export function defaultMeetingShape(participants: number): MeetingShape {
  return {
    participants,
    visibleTiles: Math.min(25, Math.max(0, participants - 1)),
    tilePacketsPerSecond: 25,
    spotlightPacketsPerSecond: 100,
    liveSpeakers: Math.min(3, participants),
    audioPacketsPerSecond: 50,
    videoPacketBytes: 950,
    audioPacketBytes: 120,
  };
}

export interface RoomLoad {
  forwardedPacketsPerSecond: number;
  egressGbps: number;
  /** vCPUs the room needs at the planned utilisation cap. */
  vcpusNeeded: number;
}

export function roomLoad(shape: MeetingShape): RoomLoad {
  const videoPps = shape.visibleTiles * shape.tilePacketsPerSecond + shape.spotlightPacketsPerSecond;
  const audioPps = shape.liveSpeakers * shape.audioPacketsPerSecond;
  const perViewerPps = videoPps + audioPps;
  const forwardedPacketsPerSecond = shape.participants * perViewerPps;
  const bitsPerViewer = (videoPps * shape.videoPacketBytes + audioPps * shape.audioPacketBytes) * 8;
  return {
    forwardedPacketsPerSecond,
    egressGbps: (shape.participants * bitsPerViewer) / 1e9,
    vcpusNeeded: forwardedPacketsPerSecond / (FORWARDED_PPS_PER_VCPU * MAX_NODE_CPU_UTILISATION),
  };
}

/** Why a node size cannot host one room of this shape, or undefined when it can. */
export function roomFitProblem(size: DropletSize, load: RoomLoad): string | undefined {
  if (size.vcpus < load.vcpusNeeded) {
    return `${size.slug} has ${size.vcpus} vCPU but one room needs ${load.vcpusNeeded.toFixed(1)} vCPU (${Math.round(load.forwardedPacketsPerSecond).toLocaleString("en-US")} forwarded packets/s at ${FORWARDED_PPS_PER_VCPU.toLocaleString("en-US")} per vCPU, ${MAX_NODE_CPU_UTILISATION * 100} % CPU cap)`;
  }
  if (size.network_cap_gbps < load.egressGbps) {
    return `${size.slug} is capped at ${size.network_cap_gbps} Gbps but one room sends ${load.egressGbps.toFixed(2)} Gbps (use a Premium CPU-Optimized size with 10 Gbps)`;
  }
  return undefined;
}
