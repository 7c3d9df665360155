import type { CreatedObject, DeployResult } from "./deploy.ts";
import type { KubeClient } from "./kube-client.ts";
import type { KubeObject } from "./manifests.ts";

type Spec = Record<string, unknown>;

/**
 * The PersistentVolumeClaims the prometheus-operator's StatefulSets would create for each Prometheus and
 * Alertmanager with storage — the operator itself cannot run here, but its claims are what a storage quota
 * must admit. Names follow the operator (prometheus-operator pkg/prometheus/statefulset.go and
 * pkg/alertmanager/statefulset.go): StatefulSet `<kind>-<name>`, claim template `<kind>-<name>-db`, so
 * claim `<kind>-<name>-db-<kind>-<name>-<ordinal>` for each replica (times shards for Prometheus).
 */
export function operatorClaims(created: CreatedObject[]): { from: string; claim: KubeObject }[] {
  const out: { from: string; claim: KubeObject }[] = [];
  for (const c of created) {
    const kind = c.object.kind;
    if (
      !c.object.apiVersion.startsWith("monitoring.coreos.com/") ||
      (kind !== "Prometheus" && kind !== "Alertmanager")
    ) {
      continue;
    }
    const spec = (c.object.spec ?? {}) as Spec;
    const template = (spec.storage as Spec | undefined)?.volumeClaimTemplate as KubeObject | undefined;
    if (!template) continue;
    const prefix = kind.toLowerCase();
    const name = String(c.object.metadata?.name);
    const namespace = c.object.metadata?.namespace ?? c.key.split(" ")[1]?.split("/")[0] ?? "default";
    const claimName = template.metadata?.name ?? `${prefix}-${name}-db`;
    const replicas = Number(spec.replicas ?? 1) * (kind === "Prometheus" ? Number(spec.shards ?? 1) : 1);
    for (let i = 0; i < replicas; i++) {
      const shard = kind === "Prometheus" ? Math.floor(i / Number(spec.replicas ?? 1)) : 0;
      const statefulSet = shard === 0 ? `${prefix}-${name}` : `${prefix}-${name}-shard-${shard}`;
      const ordinal = i % Number(spec.replicas ?? 1);
      out.push({
        from: `${c.from} (claim of its StatefulSet ${statefulSet}, pod ${ordinal})`,
        claim: {
          apiVersion: "v1",
          kind: "PersistentVolumeClaim",
          metadata: { name: `${claimName}-${statefulSet}-${ordinal}`, namespace },
          spec: template.spec,
        },
      });
    }
  }
  return out;
}

export async function createOperatorClaims(client: KubeClient, result: DeployResult): Promise<void> {
  for (const { from, claim } of operatorClaims(result.created)) {
    const key = `PersistentVolumeClaim.core ${claim.metadata?.namespace}/${claim.metadata?.name}`;
    const refusal = await client.create(claim);
    if (refusal) result.refused.push({ key, from, message: refusal.message });
    else result.created.push({ key, from, object: claim });
  }
}
