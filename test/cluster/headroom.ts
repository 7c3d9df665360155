import type { CreatedObject } from "./deploy.ts";
import type { KubeClient } from "./kube-client.ts";

export interface PeakTarget {
  namespace: string;
  name: string;
  /** HPA maximum (or the fixed replica count) plus the rolling update's surge. */
  replicas: number;
  why: string;
}

type Spec = Record<string, unknown>;

/** maxSurge resolved against a replica count: an integer, or a percentage rounded up (the default is 25%). */
export function surgePods(strategy: Spec | undefined, replicas: number): number {
  if (strategy?.type === "Recreate") return 0;
  const surge = (strategy?.rollingUpdate as Spec | undefined)?.maxSurge ?? "25%";
  if (typeof surge === "number") return surge;
  const percent = /^(\d+)%$/.exec(String(surge));
  if (!percent) throw new Error(`maxSurge must be an integer or a percentage, got ${JSON.stringify(surge)}`);
  return Math.ceil((replicas * Number(percent[1])) / 100);
}

/**
 * The most pods each Deployment can have at once: its HPA's maxReplicas (or its own replicas) plus one
 * rolling update's surge. Created objects are read as created (chart objects included).
 */
export function peakTargets(created: CreatedObject[]): PeakTarget[] {
  const namespaceOf = (c: CreatedObject) => c.key.split(" ")[1]?.split("/")[0] ?? "default";
  const hpaMax = new Map<string, number>();
  for (const c of created) {
    if (c.object.kind !== "HorizontalPodAutoscaler") continue;
    const spec = c.object.spec as { scaleTargetRef: { kind: string; name: string }; maxReplicas: number };
    if (spec.scaleTargetRef.kind === "Deployment") {
      hpaMax.set(`${namespaceOf(c)}/${spec.scaleTargetRef.name}`, spec.maxReplicas);
    }
  }
  return created
    .filter((c) => c.object.kind === "Deployment")
    .map((c) => {
      const spec = c.object.spec as Spec;
      const key = `${namespaceOf(c)}/${c.object.metadata?.name}`;
      const max = hpaMax.get(key);
      const base = max ?? (spec.replicas as number | undefined) ?? 1;
      const surge = surgePods(spec.strategy as Spec | undefined, base);
      return {
        namespace: namespaceOf(c),
        name: String(c.object.metadata?.name),
        replicas: base + surge,
        why: `${max !== undefined ? `HPA max ${max}` : `${base} replicas`} + ${surge} surge`,
      };
    });
}

/**
 * Puts every Deployment at its peak at the same time, with the migration Jobs still holding their pods: the
 * HPAs go first (their controller would scale a Deployment above maxReplicas back down), then each
 * Deployment's scale subresource is set. The quota admission of each extra pod is then the API server's.
 */
export async function scaleToPeak(
  client: KubeClient,
  created: CreatedObject[],
  targets: PeakTarget[],
): Promise<void> {
  for (const c of created) {
    if (c.object.kind !== "HorizontalPodAutoscaler") continue;
    const ns = c.key.split(" ")[1]?.split("/")[0] ?? "default";
    const path = `/apis/${c.object.apiVersion}/namespaces/${ns}/horizontalpodautoscalers/${c.object.metadata?.name}`;
    const res = await client.plane.request("DELETE", path);
    if (res.status >= 300) throw new Error(`DELETE ${path}: ${res.status} ${res.text.slice(0, 200)}`);
  }
  for (const t of targets) {
    const path = `/apis/apps/v1/namespaces/${t.namespace}/deployments/${t.name}/scale`;
    const scale = (await client.get(path)) as { spec: { replicas?: number } };
    const res = await client.plane.request("PUT", path, {
      ...scale,
      spec: { ...scale.spec, replicas: t.replicas },
    });
    if (res.status >= 300) throw new Error(`PUT ${path}: ${res.status} ${res.text.slice(0, 200)}`);
  }
}
