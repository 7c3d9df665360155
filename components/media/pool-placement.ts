import { POOL_LABEL, POOL_TAINTS, type PoolRole } from "../cluster/node-pools.ts";

/** The nodeSelector + tolerations that put a pod on one DOKS pool and nowhere else. */
export interface PoolPlacement {
  nodeSelector: Record<string, string>;
  tolerations: { key: string; operator: "Equal"; value: string; effect: "NoSchedule" }[];
}

/** Built from components/cluster/node-pools.ts, so a renamed label or taint moves every workload with it. */
export function poolPlacement(role: PoolRole): PoolPlacement {
  return {
    nodeSelector: { [POOL_LABEL]: role },
    tolerations: POOL_TAINTS[role].map((t) => ({
      key: t.key,
      operator: "Equal",
      value: t.value,
      effect: t.effect,
    })),
  };
}

/**
 * The DigitalOcean tag the cluster component puts on every droplet of a pool (components/cluster/cluster.ts
 * tags pools `pool:<role>`). Cloud Firewalls select droplets by tag (../shared/reference/digitalocean.md §6).
 */
export function poolDropletTag(role: PoolRole): string {
  return `pool:${role}`;
}
