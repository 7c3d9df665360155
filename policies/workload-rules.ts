import { releaseModel } from "./chart-models.ts";
import {
  asArray,
  asRecord,
  get,
  type PolicyResource,
  type ResourceRule,
  type StackRule,
} from "./resource.ts";

export const WORKLOAD_TYPES = new Set([
  "kubernetes:apps/v1:Deployment",
  "kubernetes:apps/v1:StatefulSet",
  "kubernetes:apps/v1:DaemonSet",
  "kubernetes:batch/v1:Job",
]);

/**
 * Media pods run LiveKit with hostNetwork and raise kernel buffers; they may run as root. They are named here,
 * by namespace, so the exception is visible and nothing else can claim it.
 */
export const ROOT_ALLOWED_NAMESPACES = new Set(["media"]);

interface Container {
  name?: string;
  image?: string;
  resources?: { requests?: Record<string, unknown>; limits?: Record<string, unknown> };
  readinessProbe?: unknown;
  livenessProbe?: unknown;
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number };
}

function podSpec(r: PolicyResource): Record<string, unknown> {
  return asRecord(get(r.props, "spec.template.spec"));
}

function containers(r: PolicyResource): Container[] {
  return asArray(podSpec(r).containers) as Container[];
}

function workloadName(r: PolicyResource): string {
  const ns = get(r.props, "metadata.namespace");
  return `${typeof ns === "string" ? `${ns}/` : ""}${String(get(r.props, "metadata.name") ?? r.name)}`;
}

export const workloadResources: ResourceRule = {
  kind: "resource",
  name: "workload-resources",
  description:
    "Every container of every workload, and of the large pods a Helm release runs (Prometheus, Traefik), sets CPU and memory requests and limits.",
  enforcement: "mandatory",
  check(r, report) {
    const sized = (what: string, list: Container[]) => {
      for (const c of list) {
        for (const kind of ["requests", "limits"] as const) {
          const set = c.resources?.[kind] ?? {};
          if (set.cpu === undefined || set.memory === undefined) {
            report(`${what} container ${c.name ?? "?"} has no cpu and memory ${kind}`, r.urn);
          }
        }
      }
    };
    if (WORKLOAD_TYPES.has(r.type)) sized(workloadName(r), containers(r));
    // Without values of its own a chart pod takes the namespace's LimitRange default: Prometheus got 256Mi and
    // was OOM-killed, and LiveKit's autoscaling reads its metric from Prometheus.
    for (const w of releaseModel(r)?.workloads ?? []) {
      if (!w.needsOwnResources) continue;
      sized(`${w.name} (Helm release ${r.name})`, asArray(get(w.podSpec, "containers")) as Container[]);
    }
  },
};

export const workloadProbes: ResourceRule = {
  kind: "resource",
  name: "workload-probes",
  description: "Every long-running container has a readiness and a liveness probe.",
  enforcement: "mandatory",
  check(r, report) {
    if (!WORKLOAD_TYPES.has(r.type) || r.type === "kubernetes:batch/v1:Job") return;
    for (const c of containers(r)) {
      if (!c.readinessProbe)
        report(`${workloadName(r)} container ${c.name ?? "?"} has no readinessProbe`, r.urn);
      if (!c.livenessProbe)
        report(`${workloadName(r)} container ${c.name ?? "?"} has no livenessProbe`, r.urn);
    }
  },
};

export const workloadNonRoot: ResourceRule = {
  kind: "resource",
  name: "workload-non-root",
  description: `Workloads run as non-root (except in the namespaces ${[...ROOT_ALLOWED_NAMESPACES].join(", ")}).`,
  enforcement: "mandatory",
  check(r, report) {
    if (!WORKLOAD_TYPES.has(r.type)) return;
    const ns = get(r.props, "metadata.namespace");
    if (typeof ns === "string" && ROOT_ALLOWED_NAMESPACES.has(ns)) return;
    const podNonRoot = get(podSpec(r), "securityContext.runAsNonRoot") === true;
    for (const c of containers(r)) {
      const nonRoot = c.securityContext?.runAsNonRoot ?? podNonRoot;
      if (!nonRoot || c.securityContext?.runAsUser === 0) {
        report(
          `${workloadName(r)} container ${c.name ?? "?"} may run as root (set runAsNonRoot: true)`,
          r.urn,
        );
      }
    }
  },
};

/** An image is pinned when it names a tag other than `latest`, or a digest. */
export function isPinnedImage(image: string): boolean {
  if (image.includes("@sha256:")) return true;
  const lastSegment = image.split("/").pop() ?? image;
  const tag = lastSegment.includes(":") ? lastSegment.split(":").pop() : undefined;
  return tag !== undefined && tag !== "" && tag !== "latest";
}

export const pinnedImages: ResourceRule = {
  kind: "resource",
  name: "pinned-images",
  description: "Every container image is pinned to a tag (not latest) or a digest.",
  enforcement: "mandatory",
  check(r, report) {
    if (!WORKLOAD_TYPES.has(r.type)) return;
    const all = [...containers(r), ...(asArray(podSpec(r).initContainers) as Container[])];
    for (const c of all) {
      if (typeof c.image !== "string" || !isPinnedImage(c.image)) {
        report(
          `${workloadName(r)} container ${c.name ?? "?"} uses an unpinned image "${c.image ?? ""}"`,
          r.urn,
        );
      }
    }
  },
};

function labelsMatch(selector: Record<string, unknown>, labels: Record<string, unknown>): boolean {
  const entries = Object.entries(selector);
  return entries.length > 0 && entries.every(([k, v]) => labels[k] === v);
}

/** LiveKit holds rooms in memory: losing a media pod drops meetings. Drain must be possible and slow. */
export const MIN_MEDIA_GRACE_SECONDS = 3600;

export const mediaPodsProtected: StackRule = {
  kind: "stack",
  name: "media-pods-protected",
  description: `Media Deployments have a PodDisruptionBudget, required anti-affinity by host and a drain-length grace period (≥ ${MIN_MEDIA_GRACE_SECONDS} s).`,
  enforcement: "mandatory",
  check(resources, report) {
    const pdbs = resources.filter((r) => r.type === "kubernetes:policy/v1:PodDisruptionBudget");
    for (const r of resources) {
      if (r.type !== "kubernetes:apps/v1:Deployment" || get(r.props, "metadata.namespace") !== "media")
        continue;
      const labels = asRecord(get(r.props, "spec.template.metadata.labels"));
      const covered = pdbs.some(
        (p) =>
          get(p.props, "metadata.namespace") === "media" &&
          labelsMatch(asRecord(get(p.props, "spec.selector.matchLabels")), labels),
      );
      if (!covered) report(`${workloadName(r)} has no PodDisruptionBudget selecting its pods`, r.urn);
      const antiAffinity = asArray(
        get(podSpec(r), "affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution"),
      );
      if (!antiAffinity.some((t) => get(t, "topologyKey") === "kubernetes.io/hostname")) {
        report(`${workloadName(r)} has no required pod anti-affinity on kubernetes.io/hostname`, r.urn);
      }
      const grace = Number(podSpec(r).terminationGracePeriodSeconds ?? 30);
      if (grace < MIN_MEDIA_GRACE_SECONDS) {
        report(
          `${workloadName(r)} terminationGracePeriodSeconds is ${grace}, below ${MIN_MEDIA_GRACE_SECONDS}`,
          r.urn,
        );
      }
    }
  },
};
