import { createHash } from "node:crypto";
import type { PlanGraph, PlannedResource } from "../../infra/plan/engine.ts";
import { SECRET_PLACEHOLDER } from "../../infra/plan/stack-file.ts";

/** A Kubernetes object as sent to the API server. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata?: {
    name?: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [field: string]: unknown;
}

/** A `kubernetes:helm.sh/v3:Release` as the stack declares it: what `helm install` receives. */
export interface HelmReleaseSpec {
  name: string;
  namespace: string;
  chart: string;
  version: string;
  repo: string;
  values: Record<string, unknown>;
  skipCrds: boolean;
}

export type PlanStep =
  | { urn: string; wave: number; kind: "object"; object: KubeObject }
  | { urn: string; wave: number; kind: "release"; release: HelmReleaseSpec };

export const RELEASE_TYPE = "kubernetes:helm.sh/v3:Release";
const PROVIDER_TYPE = "pulumi:providers:kubernetes";
// Release inputs that change what is installed and that this rendering does not reproduce: refuse them
// rather than create something other than what the stack would.
const UNSUPPORTED_RELEASE_INPUTS = [
  "valueYamlFiles",
  "postrender",
  "manifest",
  "dependencyUpdate",
  "devel",
  "keyring",
  "verify",
];

/**
 * The Kubernetes half of a plan as the Pulumi engine would create it: every Kubernetes resource (Helm
 * Releases as one step each), each in the earliest "wave" its dependencies allow. Resources of the same wave
 * have no dependency between them, so the engine creates them concurrently and either may land first;
 * the order chosen inside a wave is the one that exposes a missing dependency — plain objects first, then
 * Helm releases, then CustomResourceDefinitions, then Namespaces (what other objects need to exist). Other
 * resources (cloud, random, tls) count as created before, as the Kubernetes provider itself depends on the
 * cluster.
 */
export function planToManifests(graph: PlanGraph): PlanStep[] {
  const byUrn = new Map(graph.resources.map((r) => [r.urn, r]));
  const isKube = (r: PlannedResource) => r.custom && r.type.startsWith("kubernetes:");
  const kube = graph.resources.filter(isKube);

  const childrenOf = new Map<string, PlannedResource[]>();
  for (const r of graph.resources) {
    if (r.parent) childrenOf.set(r.parent, [...(childrenOf.get(r.parent) ?? []), r]);
  }
  // The Kubernetes resources a dependency stands for: itself, a component's Kubernetes descendants, or —
  // through a cloud resource — whatever Kubernetes resources that one waits for.
  const kubeDeps = (urn: string, seen = new Set<string>()): string[] => {
    if (seen.has(urn)) return [];
    seen.add(urn);
    const r = byUrn.get(urn);
    if (!r) return [];
    if (isKube(r)) return [urn];
    const via = r.custom ? r.dependencies : (childrenOf.get(urn) ?? []).map((c) => c.urn);
    return via.flatMap((d) => kubeDeps(d, seen));
  };

  const wave = new Map<string, number>();
  const visiting = new Set<string>();
  const waveOf = (r: PlannedResource): number => {
    const known = wave.get(r.urn);
    if (known !== undefined) return known;
    if (visiting.has(r.urn)) throw new Error(`dependency cycle through ${r.urn}`);
    visiting.add(r.urn);
    const deps = r.dependencies.flatMap((d) => kubeDeps(d)).filter((d) => d !== r.urn);
    const w = deps.reduce((max, d) => Math.max(max, waveOf(byUrn.get(d) as PlannedResource) + 1), 0);
    visiting.delete(r.urn);
    wave.set(r.urn, w);
    return w;
  };

  const steps: PlanStep[] = kube
    .filter((r) => r.type !== PROVIDER_TYPE)
    .map((r) =>
      r.type === RELEASE_TYPE
        ? { urn: r.urn, wave: waveOf(r), kind: "release" as const, release: releaseSpec(r) }
        : { urn: r.urn, wave: waveOf(r), kind: "object" as const, object: toObject(r) },
    );
  return steps.sort((a, b) => a.wave - b.wave || rank(a) - rank(b) || a.urn.localeCompare(b.urn));
}

function rank(step: PlanStep): number {
  if (step.kind === "release") return 1;
  if (step.object.kind === "CustomResourceDefinition") return 2;
  if (step.object.kind === "Namespace") return 3;
  return 0;
}

/** `kubernetes:apps/v1:Deployment` → apps/v1, Deployment; the core group is `core/v1` in type tokens. */
export function apiVersionAndKind(type: string): { apiVersion: string; kind: string } {
  const match = /^kubernetes:([^:]+):([^:]+)$/.exec(type);
  if (!match?.[1] || !match[2]) throw new Error(`not a Kubernetes resource type: ${type}`);
  const groupVersion = match[1].startsWith("core/") ? match[1].slice("core/".length) : match[1];
  return { apiVersion: groupVersion, kind: match[2] };
}

function toObject(r: PlannedResource): KubeObject {
  const { apiVersion, kind } = apiVersionAndKind(r.type);
  const inputs = structuredClone(r.inputs) as Partial<KubeObject>;
  const metadata = { ...(inputs.metadata ?? {}) };
  // The provider auto-names an object without metadata.name from the resource name and a random suffix.
  if (!metadata.name)
    metadata.name = `${r.name}-${createHash("sha256").update(r.urn).digest("hex").slice(0, 8)}`;
  const object: KubeObject = {
    ...inputs,
    apiVersion: inputs.apiVersion ?? apiVersion,
    kind: inputs.kind ?? kind,
    metadata,
  };
  // A redacted value under a Secret's `data` must still be base64, as the real value is.
  if (kind === "Secret" && object.data && typeof object.data === "object") {
    object.data = Object.fromEntries(
      Object.entries(object.data as Record<string, unknown>).map(([k, v]) => [
        k,
        v === SECRET_PLACEHOLDER ? Buffer.from(SECRET_PLACEHOLDER).toString("base64") : v,
      ]),
    );
  }
  return object;
}

function releaseSpec(r: PlannedResource): HelmReleaseSpec {
  const inputs = r.inputs as Record<string, unknown>;
  const unsupported = UNSUPPORTED_RELEASE_INPUTS.filter(
    (k) => inputs[k] !== undefined && inputs[k] !== false,
  );
  if (unsupported.length > 0) {
    throw new Error(
      `${r.urn}: Release inputs ${unsupported.join(", ")} are not reproduced by the cluster test`,
    );
  }
  const text = (key: string): string => {
    const value = inputs[key];
    if (typeof value !== "string" || value === "")
      throw new Error(
        `${r.urn}: Release input "${key}" must be a non-empty string, got ${JSON.stringify(value)}`,
      );
    return value;
  };
  const repo = (inputs.repositoryOpts as { repo?: unknown } | undefined)?.repo;
  return {
    name: text("name"),
    namespace: typeof inputs.namespace === "string" ? inputs.namespace : "default",
    chart: text("chart"),
    version: text("version"),
    repo: typeof repo === "string" ? repo : "",
    values: (inputs.values as Record<string, unknown> | undefined) ?? {},
    skipCrds: inputs.skipCrds === true,
  };
}

/** Every step that would create the same object as an earlier one: the provider's create fails on each. */
export function duplicateObjects(steps: PlanStep[]): string[] {
  const seen = new Map<string, string>();
  const out: string[] = [];
  for (const step of steps) {
    if (step.kind !== "object") continue;
    const key = objectKey(step.object);
    const first = seen.get(key);
    if (first) out.push(`${key} is declared by ${first} and again by ${step.urn}`);
    else seen.set(key, step.urn);
  }
  return out;
}

export function objectKey(object: KubeObject, defaultNamespace = ""): string {
  const group = object.apiVersion.includes("/") ? object.apiVersion.split("/")[0] : "";
  const ns = object.metadata?.namespace ?? defaultNamespace;
  return `${object.kind}.${group || "core"} ${ns ? `${ns}/` : ""}${object.metadata?.name}`;
}
