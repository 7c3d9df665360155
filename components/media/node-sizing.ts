import { allocatableMemoryGib, PUBLISHED_NODE_MEMORY_GIB } from "../../catalogue/doks-allocatable-memory.ts";
import type { DropletSize } from "../../catalogue/droplet-sizes.ts";
import { fail } from "./input-rules.ts";

/** Left on every node for the DaemonSets DOKS and monitoring run (cilium, do-agent, node-exporter). */
export const DAEMONSET_MEMORY_MIB = 512;
export const DAEMONSET_CPU_MILLIS = 1_000;

export function allocatableMemoryMib(size: DropletSize): number {
  const gib = allocatableMemoryGib(size.memory_gib);
  if (gib === undefined) {
    fail(
      `size ${size.slug}`,
      `a node RAM size DOKS publishes allocatable memory for (${PUBLISHED_NODE_MEMORY_GIB.join(", ")} GiB)`,
      size.memory_gib,
    );
  }
  return gib * 1024;
}

export interface DedicatedPodResources {
  requests: { cpu: string; memory: string };
  limits: { cpu: string; memory: string };
}

/**
 * Resources for a pod that owns its node (one LiveKit or egress pod per node): it requests everything DOKS
 * leaves for pods minus the DaemonSets' share, so the scheduler never co-locates another workload. Memory limit
 * equals the request (no overcommit, no surprise OOM of a node hosting a meeting). Limits equal requests for CPU
 * too — Guaranteed QoS, last to be evicted, and what the media namespace's ResourceQuota requires; the pod
 * already holds all of the node's schedulable CPU, so the limit throttles nothing it could otherwise use.
 */
export function dedicatedPodResources(size: DropletSize): DedicatedPodResources {
  const memoryMib = allocatableMemoryMib(size) - DAEMONSET_MEMORY_MIB;
  const cpuMillis = size.vcpus * 1000 - DAEMONSET_CPU_MILLIS;
  if (cpuMillis < 500 || memoryMib < 512) {
    fail(`size ${size.slug}`, "a node with at least 1.5 vCPU and 1.5 GiB allocatable memory", size.slug);
  }
  return {
    requests: { cpu: `${cpuMillis}m`, memory: `${memoryMib}Mi` },
    limits: { cpu: `${cpuMillis}m`, memory: `${memoryMib}Mi` },
  };
}
