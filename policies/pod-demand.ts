import { asArray, asRecord, get } from "./resource.ts";

/**
 * Kubernetes quantities and what one pod asks of its namespace once the LimitRange has filled in the container
 * defaults: the numbers ResourceQuota admission charges (https://kubernetes.io/docs/concepts/policy/resource-quotas/,
 * https://kubernetes.io/docs/concepts/policy/limit-range/). CPU in millicores, memory and storage in MiB.
 */

export function parseCpu(quantity: unknown): number | undefined {
  if (typeof quantity === "number") return quantity * 1000;
  if (typeof quantity !== "string") return undefined;
  const m = /^(\d+(?:\.\d+)?)(m?)$/.exec(quantity.trim());
  if (!m) return undefined;
  return m[2] === "m" ? Number(m[1]) : Math.round(Number(m[1]) * 1000);
}

const MEMORY_UNITS: Record<string, number> = {
  "": 1 / 1024 ** 2,
  Ki: 1 / 1024,
  Mi: 1,
  Gi: 1024,
  Ti: 1024 ** 2,
  k: 1000 / 1024 ** 2,
  M: 1000 ** 2 / 1024 ** 2,
  G: 1000 ** 3 / 1024 ** 2,
  T: 1000 ** 4 / 1024 ** 2,
};

export function parseMemory(quantity: unknown): number | undefined {
  if (typeof quantity === "number") return quantity * (MEMORY_UNITS[""] ?? 0);
  if (typeof quantity !== "string") return undefined;
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T|)$/.exec(quantity.trim());
  if (!m) return undefined;
  return Number(m[1]) * (MEMORY_UNITS[m[2] ?? ""] ?? 0);
}

export function formatCpu(millis: number): string {
  return `${Math.round(millis)}m`;
}

export function formatMemory(mib: number): string {
  return mib >= 1024 && Number.isInteger(mib / 1024) ? `${mib / 1024}Gi` : `${Math.round(mib)}Mi`;
}

export interface Amounts {
  cpu: number;
  memory: number;
}

export interface ContainerDefaults {
  defaultRequest?: Partial<Amounts>;
  default?: Partial<Amounts>;
  max?: Partial<Amounts>;
}

/** The `type: Container` entry of a LimitRange spec, parsed. */
export function containerDefaults(limitRangeSpec: unknown): ContainerDefaults {
  const entry = asArray(get(limitRangeSpec, "limits")).find((l) => get(l, "type") === "Container");
  const amounts = (key: string): Partial<Amounts> | undefined => {
    const v = asRecord(get(entry, key));
    if (Object.keys(v).length === 0) return undefined;
    const cpu = parseCpu(v.cpu);
    const memory = parseMemory(v.memory);
    return { ...(cpu !== undefined ? { cpu } : {}), ...(memory !== undefined ? { memory } : {}) };
  };
  const defaultRequest = amounts("defaultRequest");
  const defaults = amounts("default");
  const max = amounts("max");
  return {
    ...(defaultRequest ? { defaultRequest } : {}),
    ...(defaults ? { default: defaults } : {}),
    ...(max ? { max } : {}),
  };
}

export interface ContainerShape {
  name: string;
  requests: Partial<Amounts>;
  limits: Partial<Amounts>;
}

/**
 * A container's requests and limits after API defaulting (a limit without a request sets the request) and the
 * LimitRanger (defaults for what is still missing). A value missing after both is undefined.
 */
export function effectiveContainer(container: unknown, defaults: ContainerDefaults): ContainerShape {
  const requests = asRecord(get(container, "resources.requests"));
  const limits = asRecord(get(container, "resources.limits"));
  const pick = (key: keyof Amounts, parse: (q: unknown) => number | undefined) => {
    const limit = parse(limits[key]) ?? defaults.default?.[key];
    const request = parse(requests[key]) ?? parse(limits[key]) ?? defaults.defaultRequest?.[key] ?? limit;
    return { limit, request };
  };
  const cpu = pick("cpu", parseCpu);
  const memory = pick("memory", parseMemory);
  const only = (v: { cpu: number | undefined; memory: number | undefined }) => ({
    ...(v.cpu !== undefined ? { cpu: v.cpu } : {}),
    ...(v.memory !== undefined ? { memory: v.memory } : {}),
  });
  return {
    name: String(get(container, "name") ?? "?"),
    requests: only({ cpu: cpu.request, memory: memory.request }),
    limits: only({ cpu: cpu.limit, memory: memory.limit }),
  };
}

export interface PodShape {
  requests: Amounts;
  limits: Amounts;
}

/** A pod's charge: the larger of its containers' sum and its largest init container, per resource. */
export function podShape(podSpec: unknown, defaults: ContainerDefaults): PodShape {
  const sum = (list: ContainerShape[], side: "requests" | "limits", key: keyof Amounts) =>
    list.reduce((total, c) => total + (c[side][key] ?? 0), 0);
  const max = (list: ContainerShape[], side: "requests" | "limits", key: keyof Amounts) =>
    Math.max(0, ...list.map((c) => c[side][key] ?? 0));
  const containers = asArray(get(podSpec, "containers")).map((c) => effectiveContainer(c, defaults));
  const inits = asArray(get(podSpec, "initContainers")).map((c) => effectiveContainer(c, defaults));
  const charge = (side: "requests" | "limits") => ({
    cpu: Math.max(sum(containers, side, "cpu"), max(inits, side, "cpu")),
    memory: Math.max(sum(containers, side, "memory"), max(inits, side, "memory")),
  });
  return { requests: charge("requests"), limits: charge("limits") };
}

/** Extra pods a RollingUpdate Deployment may run at `replicas` (maxSurge: a count or a percentage, 25% default). */
export function surgePods(strategy: unknown, replicas: number): number {
  if (get(strategy, "type") === "Recreate") return 0;
  const maxSurge = get(strategy, "rollingUpdate.maxSurge") ?? "25%";
  if (typeof maxSurge === "number") return maxSurge;
  const pct = /^(\d+)%$/.exec(String(maxSurge));
  return pct ? Math.ceil((Number(pct[1]) / 100) * replicas) : Number(maxSurge) || 0;
}
