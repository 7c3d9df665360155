import type { NodePoolConfig } from "../../stacks/schema.ts";

export type PoolRole = "system" | "apps" | "media" | "egress";

/** Label every node carries with its pool role; workloads select pools with it. */
export const POOL_LABEL = "gomeet.io/pool";

export interface PoolTaint {
  key: string;
  value: string;
  effect: "NoSchedule";
}

/**
 * Media and egress nodes are tainted so only the pods that tolerate it (LiveKit, egress) land there: a LiveKit
 * node must keep its CPU and NIC for the one room it hosts.
 */
export const POOL_TAINTS: Record<PoolRole, PoolTaint[]> = {
  system: [],
  apps: [],
  media: [{ key: "gomeet.io/media", value: "livekit", effect: "NoSchedule" }],
  egress: [{ key: "gomeet.io/egress", value: "recording", effect: "NoSchedule" }],
};

export interface PoolSpec {
  name: string;
  size: string;
  autoScale: boolean;
  minNodes: number;
  maxNodes: number;
  nodeCount?: number;
  labels: Record<string, string>;
  taints: PoolTaint[];
}

/** Pool arguments from config: autoscaling between the bounds, or a fixed count when min equals max. */
export function poolSpec(role: PoolRole, config: NodePoolConfig): PoolSpec {
  const autoScale = config.maxNodes > config.minNodes;
  return {
    name: role,
    size: config.size,
    autoScale,
    minNodes: config.minNodes,
    maxNodes: config.maxNodes,
    ...(autoScale ? {} : { nodeCount: config.minNodes }),
    labels: { [POOL_LABEL]: role },
    taints: POOL_TAINTS[role],
  };
}
