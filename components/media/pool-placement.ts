import { POOL_LABEL, POOL_TAINTS, type PoolRole } from "../cluster/node-pools.ts";
import { stackScopedTag } from "../naming.ts";

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
 * The DigitalOcean tag the cluster component puts on every droplet of one stack's pool
 * (components/cluster/cluster.ts). Cloud Firewalls select droplets by tag across the whole account
 * (DigitalOcean Cloud Firewalls limits, https://docs.digitalocean.com/products/networking/firewalls/details/limits/),
 * so a selector must name the stack, or one stack's firewall would open other stacks' nodes.
 */
export function poolDropletTag(stack: string, role: PoolRole): string {
  return stackScopedTag(stack, `pool:${role}`);
}
