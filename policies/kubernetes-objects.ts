import { asArray, asRecord, get, type PolicyResource } from "./resource.ts";

/**
 * How the stack-wide Kubernetes rules see resources: the Kubernetes object a Pulumi resource creates (its API
 * identity), the namespace it lives in, and what it waits for. Helm Releases are Pulumi resources too; the
 * objects their charts render are modelled where a rule needs them (policies/chart-models.ts).
 */

export const RELEASE_TYPE = "kubernetes:helm.sh/v3:Release";
export const NAMESPACE_TYPE = "kubernetes:core/v1:Namespace";

export interface KubernetesIdentity {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
}

/** Kinds the API server keeps outside namespaces (a `metadata.namespace` on them is ignored). */
const CLUSTER_SCOPED_KINDS = new Set([
  "Namespace",
  "Node",
  "PersistentVolume",
  "PriorityClass",
  "StorageClass",
  "ClusterRole",
  "ClusterRoleBinding",
  "CustomResourceDefinition",
  "APIService",
  "MutatingWebhookConfiguration",
  "ValidatingWebhookConfiguration",
  "ValidatingAdmissionPolicy",
  "ValidatingAdmissionPolicyBinding",
  "ClusterIssuer",
  "IngressClass",
  "RuntimeClass",
]);

/** Groups served by kube-apiserver itself: everything else needs a CustomResourceDefinition first. */
const BUILT_IN_GROUPS = new Set([
  "",
  "core",
  "apps",
  "batch",
  "policy",
  "autoscaling",
  "networking.k8s.io",
  "rbac.authorization.k8s.io",
  "scheduling.k8s.io",
  "storage.k8s.io",
  "apiregistration.k8s.io",
  "admissionregistration.k8s.io",
  "apiextensions.k8s.io",
  "coordination.k8s.io",
  "discovery.k8s.io",
  "certificates.k8s.io",
  "node.k8s.io",
  "flowcontrol.apiserver.k8s.io",
  "events.k8s.io",
  "resource.k8s.io",
]);

/**
 * `kubernetes:<group>/<version>:<Kind>` → the object's apiVersion and kind. Pulumi's typed resources and
 * `apiextensions.CustomResource` both register under such a token; providers, Helm releases and YAML groups
 * do not create one object and are not Kubernetes objects here.
 */
export function kubernetesIdentity(r: PolicyResource): KubernetesIdentity | undefined {
  const match = /^kubernetes:([^:]+)\/([^/:]+):([A-Za-z0-9]+)$/.exec(r.type);
  if (!match || r.type === RELEASE_TYPE) return undefined;
  const [, group = "", version = "", typeKind = ""] = match;
  const apiVersion = String(r.props.apiVersion ?? (group === "core" ? version : `${group}/${version}`));
  const kind = String(r.props.kind ?? typeKind);
  const name = get(r.props, "metadata.name");
  const namespace = get(r.props, "metadata.namespace");
  return {
    apiVersion,
    kind,
    name: typeof name === "string" ? name : r.name,
    ...(typeof namespace === "string" && !CLUSTER_SCOPED_KINDS.has(kind) ? { namespace } : {}),
  };
}

export function isNamespaced(identity: KubernetesIdentity): boolean {
  return !CLUSTER_SCOPED_KINDS.has(identity.kind);
}

export function apiGroup(apiVersion: string): string {
  return apiVersion.includes("/") ? (apiVersion.split("/")[0] ?? "") : "";
}

export function isBuiltInGroup(group: string): boolean {
  return BUILT_IN_GROUPS.has(group);
}

export function describeObject(id: KubernetesIdentity): string {
  return `${id.apiVersion} ${id.kind} ${id.namespace ? `${id.namespace}/` : ""}${id.name}`;
}

/** The namespace a resource's objects land in: the object's own, or a Helm release's target namespace. */
export function targetNamespace(r: PolicyResource): string | undefined {
  if (r.type === RELEASE_TYPE) {
    const ns = r.props.namespace;
    return typeof ns === "string" ? ns : undefined;
  }
  const id = kubernetesIdentity(r);
  return id && isNamespaced(id) ? id.namespace : undefined;
}

/** Everything a resource waits for, directly or through the resources it waits for. */
export function dependencyClosure(resources: PolicyResource[]): (urn: string) => Set<string> {
  const direct = new Map(resources.map((r) => [r.urn, r.dependencies ?? []]));
  const memo = new Map<string, Set<string>>();
  const visit = (urn: string): Set<string> => {
    const known = memo.get(urn);
    if (known) return known;
    const seen = new Set<string>();
    memo.set(urn, seen);
    const stack = [...(direct.get(urn) ?? [])];
    while (stack.length > 0) {
      const next = stack.pop() as string;
      if (seen.has(next)) continue;
      seen.add(next);
      stack.push(...(direct.get(next) ?? []));
    }
    return seen;
  };
  return visit;
}

/** A label selector's `matchLabels` matches a set of labels (an empty selector matches nothing here). */
export function selectorMatches(selector: unknown, labels: Record<string, unknown>): boolean {
  const matchLabels = Object.entries(asRecord(get(selector, "matchLabels")));
  const expressions = asArray(get(selector, "matchExpressions"));
  if (matchLabels.length === 0 && expressions.length === 0) return false;
  const labelsOk = matchLabels.every(([k, v]) => labels[k] === v);
  const expressionsOk = expressions.every((e) => {
    const key = String(get(e, "key"));
    const values = asArray(get(e, "values")).map(String);
    switch (get(e, "operator")) {
      case "In":
        return values.includes(String(labels[key]));
      case "NotIn":
        return !values.includes(String(labels[key]));
      case "Exists":
        return key in labels;
      case "DoesNotExist":
        return !(key in labels);
      default:
        return false;
    }
  });
  return labelsOk && expressionsOk;
}
