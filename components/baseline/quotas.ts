import { dropletSize } from "../../infra/capacity/droplet-sizes.ts";
import type { PlatformConfig } from "../../stacks/schema.ts";
import type { NamespaceKey } from "./namespaces.ts";

/** Compute budget of a namespace in millicores and MiB; rendered as Kubernetes quantities. */
export interface NamespaceBudget {
  cpuMillis: number;
  memoryMiB: number;
  pods: number;
  /** Persistent volume storage in GiB (only monitoring keeps data). */
  storageGi?: number;
  persistentVolumeClaims?: number;
  /** Services of type LoadBalancer: each one is a billed DigitalOcean load balancer. */
  loadBalancers?: number;
}

/** Defaults a container gets when it declares nothing, and the most one container may ask for. */
export interface ContainerLimits {
  defaultRequest: { cpu: string; memory: string };
  default: { cpu: string; memory: string };
  max?: { cpu: string; memory: string };
}

export function cpuMillis(quantity: string): number {
  const m = /^(\d+)m$/.exec(quantity);
  if (m) return Number(m[1]);
  if (/^\d+(\.\d+)?$/.test(quantity)) return Math.round(Number(quantity) * 1000);
  throw new Error(`expected a Kubernetes CPU quantity such as 250m, got "${quantity}"`);
}

export function memoryMiB(quantity: string): number {
  const m = /^(\d+)(Mi|Gi)$/.exec(quantity);
  if (!m) throw new Error(`expected a Kubernetes memory quantity such as 256Mi, got "${quantity}"`);
  return Number(m[1]) * (m[2] === "Gi" ? 1024 : 1);
}

const SERVICES = ["auth", "meetings", "chat"] as const;

/**
 * Quotas size each namespace for its largest legitimate shape, so a runaway Deployment or HPA stops at the
 * quota instead of starving the media pool. Services: every replica at its maximum, twice (a rolling update
 * surges while the old ReplicaSet still runs; migration Jobs fit in the same headroom). Media: every media and
 * egress node filled by its one pod. The fixed figures are what the charts' pods request at our replica counts.
 */
export function namespaceBudgets(config: PlatformConfig): Record<NamespaceKey, NamespaceBudget> {
  const services = SERVICES.reduce(
    (sum, s) => {
      const scale = config.services[s];
      return {
        cpuMillis: sum.cpuMillis + 2 * scale.maxReplicas * cpuMillis(scale.cpu),
        memoryMiB: sum.memoryMiB + 2 * scale.maxReplicas * memoryMiB(scale.memory),
        pods: sum.pods + 2 * scale.maxReplicas,
      };
    },
    { cpuMillis: 0, memoryMiB: 0, pods: 10 },
  );
  const mediaNode = dropletSize(config.cluster.pools.media.size);
  const egressNode = dropletSize(config.cluster.pools.egress.size);
  const media: NamespaceBudget = {
    cpuMillis:
      config.cluster.pools.media.maxNodes * mediaNode.vcpus * 1000 +
      config.egress.maxReplicas * egressNode.vcpus * 1000,
    memoryMiB: Math.round(
      (config.cluster.pools.media.maxNodes * mediaNode.memory_gib +
        config.egress.maxReplicas * egressNode.memory_gib) *
        1024,
    ),
    pods: config.cluster.pools.media.maxNodes + config.egress.maxReplicas + 10,
  };
  const pools = config.cluster.pools;
  const maxNodes = pools.system.maxNodes + pools.apps.maxNodes + pools.media.maxNodes + pools.egress.maxNodes;
  return {
    gateway: { cpuMillis: 8000, memoryMiB: 8192, pods: 20, loadBalancers: 1 },
    services,
    media,
    monitoring: {
      cpuMillis: 16_000,
      memoryMiB: 65_536,
      pods: 40,
      // Prometheus' volume plus Alertmanager's; Grafana keeps no state (dashboards are ConfigMaps).
      storageGi: config.monitoring.storageGi + 10,
      persistentVolumeClaims: 4,
    },
    // One node-exporter per node, at most, across every pool.
    nodeMetrics: { cpuMillis: maxNodes * 250, memoryMiB: maxNodes * 128, pods: maxNodes + 5 },
    certManager: { cpuMillis: 2000, memoryMiB: 2048, pods: 10 },
  };
}

/** The ResourceQuota `spec.hard` of a budget: limits equal the budget, requests may not exceed it either. */
export function quotaHard(budget: NamespaceBudget): Record<string, string> {
  const hard: Record<string, string> = {
    "requests.cpu": `${budget.cpuMillis}m`,
    "limits.cpu": `${budget.cpuMillis}m`,
    "requests.memory": `${budget.memoryMiB}Mi`,
    "limits.memory": `${budget.memoryMiB}Mi`,
    pods: String(budget.pods),
  };
  if (budget.storageGi !== undefined) hard["requests.storage"] = `${budget.storageGi}Gi`;
  hard.persistentvolumeclaims = String(budget.persistentVolumeClaims ?? 0);
  // Only the gateway may ask DigitalOcean for a load balancer; a NodePort opens the node firewall.
  hard["services.loadbalancers"] = String(budget.loadBalancers ?? 0);
  hard["services.nodeports"] = "0";
  return hard;
}

/**
 * Per-container defaults (a quota with limits refuses pods without them, so every namespace gets defaults)
 * and, for the services, a ceiling of the largest configured service.
 */
export function containerLimits(config: PlatformConfig): Record<NamespaceKey, ContainerLimits> {
  const small = { defaultRequest: { cpu: "50m", memory: "64Mi" }, default: { cpu: "250m", memory: "256Mi" } };
  const largestCpu = Math.max(...SERVICES.map((s) => cpuMillis(config.services[s].cpu)));
  const largestMemory = Math.max(...SERVICES.map((s) => memoryMiB(config.services[s].memory)));
  return {
    gateway: small,
    services: { ...small, max: { cpu: `${largestCpu}m`, memory: `${largestMemory}Mi` } },
    media: small,
    monitoring: small,
    nodeMetrics: {
      defaultRequest: { cpu: "50m", memory: "64Mi" },
      default: { cpu: "200m", memory: "128Mi" },
    },
    certManager: small,
  };
}
