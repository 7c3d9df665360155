import { loadBalancerNodeMonthlyUsd, SERVICE_PRICES } from "../../catalogue/service-prices.ts";
import type { CostLine } from "./cost.ts";
import type { PlannedResource } from "./engine.ts";

/** A plan input read as an object; anything else (absent, a scalar, a list) reads as an empty one. */
export const inputRecord = (v: unknown): Record<string, unknown> =>
  v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

function gibFromQuantity(q: unknown): number {
  const m = /^(\d+(?:\.\d+)?)(Gi|Ti|Mi)$/.exec(String(q));
  if (!m) throw new Error(`cost: cannot read storage quantity ${JSON.stringify(q)}`);
  const value = Number(m[1]);
  return m[2] === "Ti" ? value * 1024 : m[2] === "Mi" ? value / 1024 : value;
}

/** Load balancers and volumes that Kubernetes objects (plain or inside Helm values) ask DigitalOcean for. */
export function kubernetesBilled(r: PlannedResource, lines: CostLine[]): void {
  const walk = (value: unknown, path: string): void => {
    if (Array.isArray(value)) {
      value.forEach((v, i) => {
        walk(v, `${path}[${i}]`);
      });
      return;
    }
    const o = inputRecord(value);
    if (Object.keys(o).length === 0) return;
    const spec = inputRecord(o.spec);
    const isService = o.type === "LoadBalancer" || (o.kind === "Service" && spec.type === "LoadBalancer");
    if (isService) {
      const annotations = inputRecord(o.annotations ?? inputRecord(o.metadata).annotations);
      const nodes = Number(annotations["service.beta.kubernetes.io/do-loadbalancer-size-unit"] ?? 1);
      const type = String(annotations["service.beta.kubernetes.io/do-loadbalancer-type"] ?? "REGIONAL");
      const price = nodes * loadBalancerNodeMonthlyUsd(type);
      lines.push({
        resource: `${r.name} load balancer`,
        detail: `${nodes} × ${type} node`,
        minUsd: price,
        maxUsd: price,
      });
    }
    const claim = o.volumeClaimTemplate ?? (o.kind === "PersistentVolumeClaim" ? o : undefined);
    if (claim) {
      const gib = gibFromQuantity(
        inputRecord(inputRecord(inputRecord(inputRecord(claim).spec).resources).requests).storage,
      );
      const price = gib * SERVICE_PRICES.volume.usd_per_gib_month;
      lines.push({
        resource: `${r.name} volume`,
        detail: `${gib} GiB`,
        minUsd: price,
        maxUsd: price,
      });
      return;
    }
    for (const [k, v] of Object.entries(o)) walk(v, path ? `${path}.${k}` : k);
  };
  walk(r.inputs, "");
}
