import { createHash } from "node:crypto";
import { POOL_LABEL } from "../cluster/node-pools.ts";

/**
 * Pure pieces of a control-plane service's Kubernetes objects (apps/<service> on the apps pool). Kept free of
 * Pulumi so they are tested directly and reused by the component.
 */

export const NAME_LABEL = "app.kubernetes.io/name";
/** The non-root user the image runs as (apps/Dockerfile: `USER 10001`). */
export const SERVICE_UID = 10001;

/**
 * Graceful shutdown timing (apps/shared README "Graceful shutdown"): the pod sleeps in preStop so the endpoint
 * leaves every load balancer first, then SIGTERM starts the drain, which must finish inside the grace period.
 */
export const PRE_STOP_SECONDS = 5;

export interface ShutdownTiming {
  preStopSeconds: number;
  drainMs: number;
  terminationGracePeriodSeconds: number;
}

export function shutdownTiming(drainMs: number): ShutdownTiming {
  return {
    preStopSeconds: PRE_STOP_SECONDS,
    drainMs,
    // preStop + drain + 10 s for the close hooks (pools, Redis) before the kubelet's SIGKILL.
    terminationGracePeriodSeconds: PRE_STOP_SECONDS + Math.ceil(drainMs / 1000) + 10,
  };
}

/** Which CPU limit goes with a request: bursts to twice the request, so one hot pod cannot starve a node. */
export function cpuLimit(request: string): string {
  const millis = request.endsWith("m") ? Number(request.slice(0, -1)) : Number(request) * 1000;
  return `${millis * 2}m`;
}

/**
 * The migration Job's name carries the image tag, so every new tag creates (and awaits) a new Job before the
 * Deployment changes, and re-running the same tag does not. Kubernetes names are at most 63 characters.
 */
export function migrationJobName(service: string, imageTag: string): string {
  const slug = imageTag
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, "-")
    .replace(/^-+|-+$/g, "");
  const hash = createHash("sha256").update(imageTag).digest("hex").slice(0, 8);
  const stem = `${service}-migrate-${slug}`.slice(0, 63 - 9).replace(/-+$/, "");
  return `${stem}-${hash}`;
}

export const MIGRATION_COMPONENT = "migration";

/**
 * Labels of a migration Job's pods. Deliberately not the service's `app.kubernetes.io/name`: the Deployment's
 * PodDisruptionBudget, Service, HPA and spread constraints select by that label, and a PDB that also selects Job
 * pods cannot compute the expected pod count (`jobs.batch does not implement the scale subresource`).
 */
export function migrationPodLabels(service: string): Record<string, string> {
  return {
    [NAME_LABEL]: `${service}-${MIGRATION_COMPONENT}`,
    "app.kubernetes.io/part-of": "gomeet",
    "app.kubernetes.io/component": MIGRATION_COMPONENT,
  };
}

/**
 * A service entry point run from its TypeScript source, as `npm run dev` (scripts/dev.ts) and the tests start it:
 * node itself with tsx as a loader, so signals reach the server and not a wrapper.
 */
export function entryCommand(service: string, entry: "server" | "migrate"): string[] {
  return ["node", "--import", "tsx", `apps/${service}/src/${entry}.ts`];
}

/**
 * The container command for the same entry point in the image: the JavaScript tsc emitted from that file
 * (apps/Dockerfile, tsconfig.build.json), laid out at the source's path with `.js`. Source maps make stack
 * traces name the TypeScript lines.
 */
export function imageEntryCommand(service: string, entry: "server" | "migrate"): string[] {
  return ["node", "--enable-source-maps", `apps/${service}/src/${entry}.js`];
}

export function podSecurityContext(): Record<string, unknown> {
  return {
    runAsNonRoot: true,
    runAsUser: SERVICE_UID,
    runAsGroup: SERVICE_UID,
    fsGroup: SERVICE_UID,
    seccompProfile: { type: "RuntimeDefault" },
  };
}

export function containerSecurityContext(): Record<string, unknown> {
  return {
    runAsNonRoot: true,
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ["ALL"] },
  };
}

/** The root filesystem is read-only; libraries that write to os.tmpdir() get a small writable emptyDir at /tmp. */
export const TMP_VOLUME = { name: "tmp", emptyDir: { sizeLimit: "64Mi" } };
export const TMP_MOUNT = { name: "tmp", mountPath: "/tmp" };

export function appsPoolPlacement(): Record<string, unknown> {
  return { nodeSelector: { [POOL_LABEL]: "apps" } };
}

/** Spread replicas across nodes so one node loss takes at most one replica when there are enough nodes. */
export interface SpreadConstraint {
  maxSkew: number;
  topologyKey: string;
  whenUnsatisfiable: "ScheduleAnyway" | "DoNotSchedule";
  labelSelector: { matchLabels: Record<string, string> };
}

export function topologySpread(service: string): SpreadConstraint[] {
  return [
    {
      maxSkew: 1,
      topologyKey: "kubernetes.io/hostname",
      whenUnsatisfiable: "ScheduleAnyway",
      labelSelector: { matchLabels: { [NAME_LABEL]: service } },
    },
  ];
}
