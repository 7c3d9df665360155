import { allocatableMemoryGib } from "./doks-allocatable-memory.ts";
import catalog from "./droplet-sizes.json" with { type: "json" };
import { type DropletSize, dropletSize } from "./droplet-sizes.ts";
import {
  DEFAULT_FORWARDING,
  defaultMeetingShape,
  type ForwardingCapacity,
  type MeetingShape,
  type RoomLoad,
  roomLoad,
  roomsPerNode,
} from "./room-model.ts";

/**
 * ASSUMPTION (sourced reasoning, no published figure): 10 % spare media nodes, at least one. A crashed node's
 * rooms are re-created on another node and rooms created within the 2 s stats window may land on the same node
 * (docs/sources.md#livekit-distributed-setup), so the pool keeps free nodes beyond one room per meeting. The spare nodes
 * are also the pool's minimum: warm nodes a starting meeting lands on while the autoscaler adds more.
 */
export const DEFAULT_MEDIA_HEADROOM = 0.1;

export interface MediaPoolPlan {
  size: DropletSize;
  load: RoomLoad;
  roomsPerNode: number;
  /** Nodes that carry the target meetings, without spares. */
  nodesForTarget: number;
  spareNodes: number;
  minNodes: number;
  maxNodes: number;
}

export interface MediaPoolRequest {
  meetings: number;
  shape: MeetingShape;
  /** A Droplet size slug; omitted, the planner picks the cheapest dedicated-vCPU size that fits. */
  size?: string;
  headroom?: number;
  forwarding?: ForwardingCapacity;
}

export function spareNodes(nodesForTarget: number, headroom: number): number {
  return Math.max(1, Math.ceil(nodesForTarget * headroom - 1e-9));
}

/** The media pool for one size, or undefined when a single room does not fit on that size. */
export function mediaPoolOnSize(
  size: DropletSize,
  meetings: number,
  load: RoomLoad,
  headroom = DEFAULT_MEDIA_HEADROOM,
): MediaPoolPlan | undefined {
  const perNode = roomsPerNode(size, load);
  if (perNode === 0) return undefined;
  const nodesForTarget = Number.isFinite(perNode) ? Math.ceil(meetings / perNode) : 1;
  const spare = spareNodes(nodesForTarget, headroom);
  return {
    size,
    load,
    roomsPerNode: perNode,
    nodesForTarget,
    spareNodes: spare,
    minNodes: spare,
    maxNodes: nodesForTarget + spare,
  };
}

/**
 * Sizes a media node may use: dedicated vCPUs only — the benchmark ran on a compute-optimized instance
 * (docs/sources.md#livekit-benchmark) and DigitalOcean recommends CPU-Optimized Droplets for WebRTC
 * (docs/sources.md#choosing-a-droplet-plan) —, offered
 * in sgp1, and with a RAM size DOKS publishes allocatable memory for, which the LiveKit pod is sized from
 * (components/media/node-sizing.ts).
 */
export function mediaSizeCandidates(): DropletSize[] {
  return (catalog.sizes as DropletSize[]).filter(
    (s) => s.dedicated_vcpu && s.sgp1_available && hasPublishedAllocatableMemory(s),
  );
}

function hasPublishedAllocatableMemory(size: DropletSize): boolean {
  return allocatableMemoryGib(size.memory_gib) !== undefined;
}

/**
 * ASSUMPTION: pools within 2 % of the cheapest cost the same in practice; among them the smaller node wins, so a
 * node loss drops fewer meetings (rooms on a lost node reconnect elsewhere: docs/sources.md#livekit-distributed-setup).
 */
export const SIZE_TIE_TOLERANCE = 0.02;

/** The pool at its maximum for a whole month. */
export function poolMonthlyUsd(plan: MediaPoolPlan): number {
  return plan.maxNodes * plan.size.price_monthly_usd;
}

/** Every candidate size that hosts one room, cheapest pool (at its maximum) first; ties go to the smaller node. */
export function mediaPoolOptions(
  meetings: number,
  load: RoomLoad,
  headroom = DEFAULT_MEDIA_HEADROOM,
): MediaPoolPlan[] {
  return mediaSizeCandidates()
    .map((size) => mediaPoolOnSize(size, meetings, load, headroom))
    .filter((p): p is MediaPoolPlan => p !== undefined)
    .sort(
      (a, b) =>
        poolMonthlyUsd(a) - poolMonthlyUsd(b) ||
        a.size.vcpus - b.size.vcpus ||
        a.size.slug.localeCompare(b.size.slug),
    );
}

/** The media pool for a target: on the requested size, or on the cheapest size that fits. Throws when none fits. */
export function planMediaPool(request: MediaPoolRequest): MediaPoolPlan {
  const headroom = request.headroom ?? DEFAULT_MEDIA_HEADROOM;
  const load = roomLoad(request.shape, request.forwarding ?? DEFAULT_FORWARDING);
  if (request.size) {
    const plan = mediaPoolOnSize(dropletSize(request.size), request.meetings, load, headroom);
    if (!plan) {
      throw new Error(
        `media size ${request.size} cannot host one ${request.shape.participants}-participant room (${load.vcpusNeeded.toFixed(1)} vCPU, ${load.egressGbps.toFixed(2)} Gbps)`,
      );
    }
    return plan;
  }
  const options = mediaPoolOptions(request.meetings, load, headroom);
  const cheapest = options[0];
  const best = cheapest
    ? options
        .filter((o) => poolMonthlyUsd(o) <= poolMonthlyUsd(cheapest) * (1 + SIZE_TIE_TOLERANCE))
        .sort((a, b) => a.size.vcpus - b.size.vcpus || poolMonthlyUsd(a) - poolMonthlyUsd(b))[0]
    : undefined;
  if (!best) {
    throw new Error(
      `no Droplet size hosts one ${request.shape.participants}-participant room (${load.vcpusNeeded.toFixed(1)} vCPU, ${load.egressGbps.toFixed(2)} Gbps)`,
    );
  }
  return best;
}

/** What the production and staging presets call: the pool for `meetings` rooms of the default shape. */
export function presetMediaPool(
  meetings: number,
  participants: number,
  size?: string,
): { size: string; minNodes: number; maxNodes: number } {
  const plan = planMediaPool({
    meetings,
    shape: defaultMeetingShape(participants),
    ...(size ? { size } : {}),
  });
  return { size: plan.size.slug, minNodes: plan.minNodes, maxNodes: plan.maxNodes };
}
