import type { PlanGraph } from "../../infra/plan/engine.ts";
import type { KubeObject } from "./manifests.ts";

const CLUSTER = "digitalocean:index/kubernetesCluster:KubernetesCluster";
const NODE_POOL = "digitalocean:index/kubernetesNodePool:KubernetesNodePool";

interface PoolInputs {
  name?: string;
  size?: string;
  labels?: Record<string, string>;
  taints?: { key: string; value?: string; effect: string }[];
}

/**
 * One Node object per node pool of the plan (the cluster's default pool and every KubernetesNodePool), with
 * the pool's labels and taints and the well-known labels every node carries
 * (https://kubernetes.io/docs/reference/labels-annotations-taints/), so that the DaemonSet controller
 * creates its pods where the pools would run them. No kubelet stands behind them: the node lifecycle
 * controller marks them unreachable after its grace period, which DaemonSet pods tolerate.
 */
export function nodesFromPlan(graph: PlanGraph): KubeObject[] {
  const cluster = graph.resources.find((r) => r.type === CLUSTER);
  const region = String(cluster?.inputs.region ?? "");
  const pools: PoolInputs[] = [
    ...(cluster?.inputs.nodePool ? [cluster.inputs.nodePool as PoolInputs] : []),
    ...graph.resources.filter((r) => r.type === NODE_POOL).map((r) => r.inputs as PoolInputs),
  ];
  return pools.map((pool) => {
    const name = `${pool.name ?? "pool"}-node-0`;
    return {
      apiVersion: "v1",
      kind: "Node",
      metadata: {
        name,
        labels: {
          ...pool.labels,
          "kubernetes.io/hostname": name,
          "kubernetes.io/os": "linux",
          "kubernetes.io/arch": "amd64",
          ...(pool.size ? { "node.kubernetes.io/instance-type": pool.size } : {}),
          ...(region ? { "topology.kubernetes.io/region": region } : {}),
          ...(pool.name ? { "doks.digitalocean.com/node-pool": pool.name } : {}),
        },
      },
      spec: { taints: (pool.taints ?? []).map((t) => ({ key: t.key, value: t.value, effect: t.effect })) },
    };
  });
}
