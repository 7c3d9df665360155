import { releaseModel } from "./chart-models.ts";
import { kubernetesIdentity, targetNamespace } from "./kubernetes-objects.ts";
import {
  type ContainerDefaults,
  containerDefaults,
  effectiveContainer,
  formatCpu,
  formatMemory,
  parseCpu,
  parseMemory,
  podShape,
  surgePods,
} from "./pod-demand.ts";
import { asArray, asRecord, get, type PolicyResource, type StackRule } from "./resource.ts";

/**
 * Admission rules of ResourceQuota and LimitRange, checked against what the stack declares: a pod or Service the
 * API server would refuse on the first deploy, or at the first rollout or scale-up, is a violation here.
 */

function inNamespace(resources: PolicyResource[], kind: string): Map<string, PolicyResource[]> {
  const byNs = new Map<string, PolicyResource[]>();
  for (const r of resources) {
    const id = kubernetesIdentity(r);
    if (id?.kind !== kind || !id.namespace) continue;
    byNs.set(id.namespace, [...(byNs.get(id.namespace) ?? []), r]);
  }
  return byNs;
}

/** The quotas that charge every object in the namespace (a scoped quota only charges some pods). */
function unscopedQuotas(resources: PolicyResource[]): Map<string, PolicyResource[]> {
  const quotas = inNamespace(resources, "ResourceQuota");
  for (const [ns, list] of quotas) {
    quotas.set(
      ns,
      list.filter(
        (q) => !get(q.props, "spec.scopeSelector") && asArray(get(q.props, "spec.scopes")).length === 0,
      ),
    );
  }
  return quotas;
}

function limitRangeDefaults(resources: PolicyResource[]): Map<string, ContainerDefaults> {
  const defaults = new Map<string, ContainerDefaults>();
  for (const [ns, list] of inNamespace(resources, "LimitRange")) {
    defaults.set(ns, containerDefaults(get(list[0]?.props, "spec")));
  }
  return defaults;
}

interface Workload {
  owner: PolicyResource;
  label: string;
  namespace: string;
  /** Pods at the largest legitimate shape: HPA maximum (or replicas) plus rollout surge; Job parallelism. */
  pods: number;
  podSpec: unknown;
  volumeClaimsMiB: number[];
  replicasForClaims: number;
}

/** Every pod-creating thing of the stack at its largest legitimate shape. */
export function workloadsAtMaximum(resources: PolicyResource[]): Workload[] {
  const hpaMax = new Map<string, number>();
  for (const r of resources) {
    const id = kubernetesIdentity(r);
    if (id?.kind !== "HorizontalPodAutoscaler") continue;
    const target = get(r.props, "spec.scaleTargetRef");
    hpaMax.set(
      `${id.namespace}/${get(target, "kind")}/${get(target, "name")}`,
      Number(get(r.props, "spec.maxReplicas")),
    );
  }
  const workloads: Workload[] = [];
  for (const r of resources) {
    const id = kubernetesIdentity(r);
    const ns = targetNamespace(r);
    if (!ns) continue;
    const label = `${id?.kind ?? "Release"} ${ns}/${id?.name ?? r.name}`;
    const podSpec = get(r.props, "spec.template.spec");
    if (id?.kind === "Deployment") {
      const replicas =
        hpaMax.get(`${ns}/Deployment/${id.name}`) ?? Number(get(r.props, "spec.replicas") ?? 1);
      const pods = replicas + surgePods(get(r.props, "spec.strategy"), replicas);
      workloads.push({
        owner: r,
        label,
        namespace: ns,
        pods,
        podSpec,
        volumeClaimsMiB: [],
        replicasForClaims: 0,
      });
    } else if (id?.kind === "StatefulSet") {
      const replicas =
        hpaMax.get(`${ns}/StatefulSet/${id.name}`) ?? Number(get(r.props, "spec.replicas") ?? 1);
      const claims = asArray(get(r.props, "spec.volumeClaimTemplates")).map(
        (t) => parseMemory(get(t, "spec.resources.requests.storage")) ?? 0,
      );
      workloads.push({
        owner: r,
        label,
        namespace: ns,
        pods: replicas,
        podSpec,
        volumeClaimsMiB: claims,
        replicasForClaims: replicas,
      });
    } else if (id?.kind === "Job") {
      const pods = Number(get(r.props, "spec.parallelism") ?? 1);
      workloads.push({
        owner: r,
        label,
        namespace: ns,
        pods,
        podSpec,
        volumeClaimsMiB: [],
        replicasForClaims: 0,
      });
    } else {
      for (const w of releaseModel(r)?.workloads ?? []) {
        workloads.push({
          owner: r,
          label: `${w.name} (Helm release ${r.name})`,
          namespace: ns,
          pods: w.replicas + w.surge,
          podSpec: w.podSpec,
          volumeClaimsMiB: w.volumeClaimsMiB,
          replicasForClaims: w.replicas,
        });
      }
    }
  }
  return workloads;
}

export const nodePortsWithinQuota: StackRule = {
  kind: "stack",
  name: "nodeports-within-quota",
  description:
    "Services of type LoadBalancer or NodePort (including those a Helm release renders) fit the namespace's services.nodeports and services.loadbalancers quota: a LoadBalancer Service allocates one NodePort per port.",
  enforcement: "mandatory",
  check(resources, report) {
    const need = new Map<string, { nodePorts: number; loadBalancers: number; what: string[]; urn: string }>();
    const add = (ns: string, type: string, ports: number, what: string, urn: string) => {
      if (type !== "LoadBalancer" && type !== "NodePort") return;
      const entry = need.get(ns) ?? { nodePorts: 0, loadBalancers: 0, what: [], urn };
      entry.nodePorts += ports;
      if (type === "LoadBalancer") entry.loadBalancers += 1;
      entry.what.push(`${what} (${type}, ${ports} NodePort${ports === 1 ? "" : "s"})`);
      need.set(ns, entry);
    };
    for (const r of resources) {
      const ns = targetNamespace(r);
      if (!ns) continue;
      const id = kubernetesIdentity(r);
      if (id?.kind === "Service") {
        const noNodePorts = get(r.props, "spec.allocateLoadBalancerNodePorts") === false;
        const ports = noNodePorts ? 0 : asArray(get(r.props, "spec.ports")).length;
        add(ns, String(get(r.props, "spec.type") ?? "ClusterIP"), ports, `Service ${ns}/${id.name}`, r.urn);
      }
      for (const s of releaseModel(r)?.services ?? []) {
        add(ns, s.type, s.ports, `Service ${ns}/${s.name} of Helm release ${r.name}`, r.urn);
      }
    }
    const quotas = unscopedQuotas(resources);
    for (const [ns, demand] of need) {
      for (const q of quotas.get(ns) ?? []) {
        const hard = asRecord(get(q.props, "spec.hard"));
        const quotaName = String(get(q.props, "metadata.name"));
        for (const [key, wanted] of [
          ["services.nodeports", demand.nodePorts],
          ["services.loadbalancers", demand.loadBalancers],
        ] as const) {
          if (hard[key] === undefined || Number(hard[key]) >= wanted) continue;
          report(
            `namespace ${ns}: ResourceQuota ${quotaName} allows ${key} ${String(hard[key])}, but ${demand.what.join(", ")} need ${wanted}; the Service is refused and its release fails`,
            demand.urn,
          );
        }
      }
    }
  },
};

export const containerLimitsWithinLimitRange: StackRule = {
  kind: "stack",
  name: "container-limits-within-limitrange",
  description:
    "Every container's limits and requests (after the LimitRange's defaults) are within its namespace's LimitRange max, and the LimitRange's own defaults are.",
  enforcement: "mandatory",
  check(resources, report) {
    const defaults = limitRangeDefaults(resources);
    for (const [ns, d] of defaults) {
      for (const key of ["cpu", "memory"] as const) {
        const max = d.max?.[key];
        const dflt = d.default?.[key];
        if (max !== undefined && dflt !== undefined && dflt > max) {
          const fmt = key === "cpu" ? formatCpu : formatMemory;
          const lr = inNamespace(resources, "LimitRange").get(ns)?.[0];
          report(
            `namespace ${ns}: LimitRange default ${key} ${fmt(dflt)} exceeds its max ${fmt(max)}`,
            lr?.urn,
          );
        }
      }
    }
    for (const w of workloadsAtMaximum(resources)) {
      const d = defaults.get(w.namespace);
      if (!d?.max) continue;
      const containers = [
        ...asArray(get(w.podSpec, "containers")),
        ...asArray(get(w.podSpec, "initContainers")),
      ];
      for (const c of containers.map((raw) => effectiveContainer(raw, d))) {
        for (const side of ["limits", "requests"] as const) {
          for (const key of ["cpu", "memory"] as const) {
            const value = c[side][key];
            const max = d.max[key];
            if (value === undefined || max === undefined || value <= max) continue;
            const fmt = key === "cpu" ? formatCpu : formatMemory;
            report(
              `${w.label} container ${c.name}: ${side === "limits" ? "limit" : "request"} ${key} ${fmt(value)} exceeds the LimitRange max ${fmt(max)} of namespace ${w.namespace}; its pods are refused (maximum ${key} usage per Container is ${fmt(max)})`,
              w.owner.urn,
            );
          }
        }
      }
    }
  },
};

const QUOTA_KEYS = [
  ["pods", (t: Totals) => t.pods, String],
  ["requests.cpu", (t: Totals) => t.requestsCpu, formatCpu],
  ["limits.cpu", (t: Totals) => t.limitsCpu, formatCpu],
  ["requests.memory", (t: Totals) => t.requestsMemory, formatMemory],
  ["limits.memory", (t: Totals) => t.limitsMemory, formatMemory],
  ["requests.storage", (t: Totals) => t.storage, formatMemory],
  ["persistentvolumeclaims", (t: Totals) => t.claims, String],
] as const;

interface Totals {
  pods: number;
  requestsCpu: number;
  limitsCpu: number;
  requestsMemory: number;
  limitsMemory: number;
  storage: number;
  claims: number;
}

function parseHard(key: string, value: unknown): number | undefined {
  if (key.endsWith(".cpu")) return parseCpu(value);
  if (key.endsWith(".memory") || key === "requests.storage") return parseMemory(value);
  return value === undefined ? undefined : Number(value);
}

export const quotaHeadroom: StackRule = {
  kind: "stack",
  name: "quota-headroom",
  description:
    "Each namespace's ResourceQuota admits every workload at its largest legitimate shape at once: HPA maximum plus one rollout surge per Deployment, the migration Jobs, StatefulSet replicas and their volume claims.",
  enforcement: "mandatory",
  check(resources, report) {
    const defaults = limitRangeDefaults(resources);
    const byNs = new Map<string, { totals: Totals; parts: string[] }>();
    for (const w of workloadsAtMaximum(resources)) {
      const shape = podShape(w.podSpec, defaults.get(w.namespace) ?? {});
      const entry = byNs.get(w.namespace) ?? {
        totals: {
          pods: 0,
          requestsCpu: 0,
          limitsCpu: 0,
          requestsMemory: 0,
          limitsMemory: 0,
          storage: 0,
          claims: 0,
        },
        parts: [],
      };
      const t = entry.totals;
      t.pods += w.pods;
      t.requestsCpu += w.pods * shape.requests.cpu;
      t.limitsCpu += w.pods * shape.limits.cpu;
      t.requestsMemory += w.pods * shape.requests.memory;
      t.limitsMemory += w.pods * shape.limits.memory;
      t.storage += w.replicasForClaims * w.volumeClaimsMiB.reduce((a, b) => a + b, 0);
      t.claims += w.replicasForClaims * w.volumeClaimsMiB.length;
      entry.parts.push(`${w.label} ×${w.pods}`);
      byNs.set(w.namespace, entry);
    }
    const quotas = unscopedQuotas(resources);
    for (const [ns, { totals, parts }] of byNs) {
      for (const q of quotas.get(ns) ?? []) {
        const hard = asRecord(get(q.props, "spec.hard"));
        for (const [key, pick, fmt] of QUOTA_KEYS) {
          const allowed = parseHard(key, hard[key]);
          const needed = pick(totals);
          if (allowed === undefined || needed <= allowed) continue;
          report(
            `namespace ${ns}: ResourceQuota ${String(get(q.props, "metadata.name"))} allows ${key} ${fmt(allowed)}, but its workloads need ${fmt(needed)} at their maximum (${parts.join(", ")})`,
            q.urn,
          );
        }
      }
    }
  },
};
