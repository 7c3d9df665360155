import { dropletSize } from "../../catalogue/droplet-sizes.ts";
import type { PlatformConfig } from "../../stacks/schema.ts";
import { SERVICE_NAMES } from "../apps/service-registry.ts";
import { cpuLimit } from "../apps/workload-spec.ts";
import { TRAEFIK_EXPOSED_PORTS } from "../gateway/traefik-values.ts";
import { egressScaling } from "../media/egress.ts";
import { dedicatedPodResources } from "../media/node-sizing.ts";
import { prometheusReplicas } from "../observability/monitoring-chart.ts";
import type { NamespaceKey } from "./namespaces.ts";

/** Compute budget of a namespace in millicores and MiB; rendered as Kubernetes quantities. */
export interface NamespaceBudget {
  requests: { cpuMillis: number; memoryMiB: number };
  limits: { cpuMillis: number; memoryMiB: number };
  pods: number;
  /** Persistent volume storage in GiB (only monitoring keeps data). */
  storageGi?: number;
  persistentVolumeClaims?: number;
  /** Services of type LoadBalancer: each one is a billed DigitalOcean load balancer. */
  loadBalancers?: number;
  /** NodePorts: a LoadBalancer Service allocates one per port, and DigitalOcean's load balancer targets them. */
  nodePorts?: number;
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

/** A Deployment with `maxSurge: 1` runs one extra pod while a rollout replaces the old ReplicaSet. */
export const ROLLOUT_SURGE_PODS = 1;
/** Each service runs one migration Job pod per new image tag, while its Deployment may still be at maximum. */
export const MIGRATION_JOB_PODS = 1;

interface PodCharge {
  requests: { cpuMillis: number; memoryMiB: number };
  limits: { cpuMillis: number; memoryMiB: number };
}

function charge(pod: { requests: { cpu: string; memory: string }; limits: { cpu: string; memory: string } }) {
  return {
    requests: { cpuMillis: cpuMillis(pod.requests.cpu), memoryMiB: memoryMiB(pod.requests.memory) },
    limits: { cpuMillis: cpuMillis(pod.limits.cpu), memoryMiB: memoryMiB(pod.limits.memory) },
  };
}

function budgetOf(parts: { pods: number; pod: PodCharge }[]): NamespaceBudget {
  const sum = (pick: (p: PodCharge) => number) => parts.reduce((total, p) => total + p.pods * pick(p.pod), 0);
  return {
    requests: { cpuMillis: sum((p) => p.requests.cpuMillis), memoryMiB: sum((p) => p.requests.memoryMiB) },
    limits: { cpuMillis: sum((p) => p.limits.cpuMillis), memoryMiB: sum((p) => p.limits.memoryMiB) },
    pods: parts.reduce((total, p) => total + p.pods, 0),
  };
}

/** Room for a few pods that take the namespace's container defaults (a debug pod, a chart's hook). */
function spare(pods: number, limits: ContainerLimits): { pods: number; pod: PodCharge } {
  return { pods, pod: charge({ requests: limits.defaultRequest, limits: limits.default }) };
}

/**
 * Quotas size each namespace for its largest legitimate shape, so a runaway Deployment or HPA stops at the
 * quota instead of starving the media pool. Services: every replica at its HPA maximum, plus one rollout surge
 * pod and one migration Job pod per service, charged at the pod's requests and at its limits (2× the CPU request,
 * components/apps/workload-spec.ts). Media: every media and egress node filled by its one pod, plus each
 * Deployment's rollout surge. Monitoring: Prometheus' volume per replica. The policy pack checks the same
 * shapes against the declared objects (policies/kubernetes-capacity-rules.ts `quota-headroom`).
 */
export function namespaceBudgets(config: PlatformConfig): Record<NamespaceKey, NamespaceBudget> {
  const limits = containerLimits(config);
  const services = budgetOf([
    ...SERVICE_NAMES.map((s) => {
      const scale = config.services[s];
      return {
        pods: scale.maxReplicas + ROLLOUT_SURGE_PODS + MIGRATION_JOB_PODS,
        pod: charge({
          requests: { cpu: scale.cpu, memory: scale.memory },
          limits: { cpu: cpuLimit(scale.cpu), memory: scale.memory },
        }),
      };
    }),
    spare(5, limits.services),
  ]);
  const mediaPods = config.cluster.pools.media.maxNodes;
  const egressPods = egressScaling(config.egress, config.cluster.pools.egress).maxReplicas;
  const media = budgetOf([
    // LiveKit: `maxSurge: 1` (components/media/livekit.ts); its init container asks for less than the SFU.
    {
      pods: mediaPods + 1,
      pod: charge(dedicatedPodResources(dropletSize(config.cluster.pools.media.size))),
    },
    // egress: the Deployment default surge, 25% of replicas rounded up.
    {
      pods: egressPods + Math.ceil(egressPods / 4),
      pod: charge(dedicatedPodResources(dropletSize(config.cluster.pools.egress.size))),
    },
    spare(5, limits.media),
  ]);
  const pools = config.cluster.pools;
  const maxNodes = pools.system.maxNodes + pools.apps.maxNodes + pools.media.maxNodes + pools.egress.maxNodes;
  const flat = (cpu: number, memory: number, pods: number): NamespaceBudget => ({
    requests: { cpuMillis: cpu, memoryMiB: memory },
    limits: { cpuMillis: cpu, memoryMiB: memory },
    pods,
  });
  const prometheus = prometheusReplicas(config.cluster.highAvailability);
  return {
    gateway: { ...flat(8000, 8192, 20), loadBalancers: 1, nodePorts: TRAEFIK_EXPOSED_PORTS.length },
    services,
    media,
    monitoring: {
      ...flat(16_000, 65_536, 40),
      // Prometheus' volume per replica; Alertmanager and Grafana keep no volume (dashboards are ConfigMaps).
      storageGi: prometheus * config.monitoring.storageGi,
      persistentVolumeClaims: prometheus,
    },
    // One node-exporter per node, at most, across every pool.
    nodeMetrics: flat(maxNodes * 250, maxNodes * 128, maxNodes + 5),
    certManager: flat(2000, 2048, 10),
  };
}

/** The ResourceQuota `spec.hard` of a budget. */
export function quotaHard(budget: NamespaceBudget): Record<string, string> {
  const hard: Record<string, string> = {
    "requests.cpu": `${budget.requests.cpuMillis}m`,
    "limits.cpu": `${budget.limits.cpuMillis}m`,
    "requests.memory": `${budget.requests.memoryMiB}Mi`,
    "limits.memory": `${budget.limits.memoryMiB}Mi`,
    pods: String(budget.pods),
  };
  if (budget.storageGi !== undefined) hard["requests.storage"] = `${budget.storageGi}Gi`;
  hard.persistentvolumeclaims = String(budget.persistentVolumeClaims ?? 0);
  // Only the gateway may ask DigitalOcean for a load balancer, with exactly the NodePorts its Service needs;
  // anywhere else a NodePort would open the nodes' firewall.
  hard["services.loadbalancers"] = String(budget.loadBalancers ?? 0);
  hard["services.nodeports"] = String(budget.nodePorts ?? 0);
  return hard;
}

/**
 * Per-container defaults (a quota with limits refuses pods without them, so every namespace gets defaults)
 * and, for the services, a ceiling of the largest configured service's limits: the CPU limit is twice the
 * request (components/apps/workload-spec.ts `cpuLimit`), and a max below a container's limit refuses its pods.
 */
export function containerLimits(config: PlatformConfig): Record<NamespaceKey, ContainerLimits> {
  const small = { defaultRequest: { cpu: "50m", memory: "64Mi" }, default: { cpu: "250m", memory: "256Mi" } };
  const largestCpu = Math.max(...SERVICE_NAMES.map((s) => cpuMillis(cpuLimit(config.services[s].cpu))));
  const largestMemory = Math.max(...SERVICE_NAMES.map((s) => memoryMiB(config.services[s].memory)));
  return {
    gateway: small,
    // A default above the max would make the LimitRange refuse every pod that relies on it.
    services: {
      defaultRequest: {
        cpu: `${Math.min(cpuMillis(small.defaultRequest.cpu), largestCpu)}m`,
        memory: `${Math.min(memoryMiB(small.defaultRequest.memory), largestMemory)}Mi`,
      },
      default: {
        cpu: `${Math.min(cpuMillis(small.default.cpu), largestCpu)}m`,
        memory: `${Math.min(memoryMiB(small.default.memory), largestMemory)}Mi`,
      },
      max: { cpu: `${largestCpu}m`, memory: `${largestMemory}Mi` },
    },
    media: small,
    monitoring: small,
    nodeMetrics: {
      defaultRequest: { cpu: "50m", memory: "64Mi" },
      default: { cpu: "200m", memory: "128Mi" },
    },
    certManager: small,
  };
}
