import {
  apiGroup,
  dependencyClosure,
  describeObject,
  isBuiltInGroup,
  kubernetesIdentity,
  NAMESPACE_TYPE,
  RELEASE_TYPE,
  targetNamespace,
} from "./kubernetes-objects.ts";
import { get, type PolicyResource, type StackRule } from "./resource.ts";

/**
 * Which chart installs the CustomResourceDefinitions of an API group. A custom resource created before its CRD
 * is refused with `no matches for kind … in version …`; one of a group nobody installs is refused forever.
 */
export const CRD_INSTALLERS: Readonly<Record<string, string>> = {
  "monitoring.coreos.com": "kube-prometheus-stack",
  "cert-manager.io": "cert-manager",
  "acme.cert-manager.io": "cert-manager",
  "traefik.io": "traefik",
};

/** Namespaces every cluster has; objects there need no Namespace resource. */
const SYSTEM_NAMESPACES = new Set(["default", "kube-system", "kube-public", "kube-node-lease"]);

export const kubernetesObjectIdentityUnique: StackRule = {
  kind: "stack",
  name: "kubernetes-object-identity-unique",
  description:
    "No two resources create the same Kubernetes object (API group, kind, namespace, name): the second create fails with AlreadyExists.",
  enforcement: "mandatory",
  check(resources, report) {
    const owners = new Map<string, PolicyResource[]>();
    for (const r of resources) {
      const id = kubernetesIdentity(r);
      if (!id) continue;
      const key = [apiGroup(id.apiVersion), id.kind, id.namespace ?? "", id.name].join("|");
      owners.set(key, [...(owners.get(key) ?? []), r]);
    }
    for (const list of owners.values()) {
      if (list.length < 2) continue;
      const id = kubernetesIdentity(list[0] as PolicyResource);
      if (!id) continue;
      for (const duplicate of list.slice(1)) {
        report(
          `${describeObject(id)} is declared by ${list.length} resources (${list.map((r) => r.name).join(", ")}); the API server refuses the second create with AlreadyExists`,
          duplicate.urn,
        );
      }
    }
  },
};

export const namespacedObjectsAfterNamespace: StackRule = {
  kind: "stack",
  name: "namespaced-objects-after-namespace",
  description:
    "Every namespaced Kubernetes object and Helm release depends (directly or transitively) on the Namespace it is created in.",
  enforcement: "mandatory",
  check(resources, report) {
    const namespaces = new Map<string, PolicyResource>();
    for (const r of resources) {
      const name = get(r.props, "metadata.name");
      if (r.type === NAMESPACE_TYPE && typeof name === "string") namespaces.set(name, r);
    }
    const closure = dependencyClosure(resources);
    for (const r of resources) {
      const ns = targetNamespace(r);
      if (ns === undefined || SYSTEM_NAMESPACES.has(ns)) continue;
      const what =
        r.type === RELEASE_TYPE ? `Helm release ${r.name}` : describeObject(kubernetesIdentity(r)!);
      const namespace = namespaces.get(ns);
      if (!namespace) {
        report(`${what} is created in namespace ${ns}, which the stack does not declare`, r.urn);
      } else if (!closure(r.urn).has(namespace.urn)) {
        report(
          `${what} does not depend on Namespace ${ns} (${namespace.name}): on a new cluster its create races the namespace and fails with namespaces "${ns}" not found`,
          r.urn,
        );
      }
    }
  },
};

export const customResourcesAfterCrds: StackRule = {
  kind: "stack",
  name: "custom-resources-after-crds",
  description:
    "Every custom resource depends (directly or transitively) on the Helm release whose chart installs its CustomResourceDefinition.",
  enforcement: "mandatory",
  check(resources, report) {
    const releasesByChart = new Map<string, PolicyResource[]>();
    for (const r of resources) {
      if (r.type !== RELEASE_TYPE) continue;
      const chart = String(r.props.chart ?? "");
      releasesByChart.set(chart, [...(releasesByChart.get(chart) ?? []), r]);
    }
    const closure = dependencyClosure(resources);
    for (const r of resources) {
      const id = kubernetesIdentity(r);
      if (!id) continue;
      const group = apiGroup(id.apiVersion);
      if (isBuiltInGroup(group)) continue;
      const chart = CRD_INSTALLERS[group];
      if (!chart) {
        report(
          `${describeObject(id)}: no chart of the stack is known to install the CRDs of ${group}`,
          r.urn,
        );
        continue;
      }
      const installers = releasesByChart.get(chart) ?? [];
      if (installers.length === 0) {
        report(
          `${describeObject(id)} needs the CRDs of chart ${chart}, which the stack does not install`,
          r.urn,
        );
      } else if (!installers.some((installer) => closure(r.urn).has(installer.urn))) {
        report(
          `${describeObject(id)} does not depend on the ${chart} release (${installers.map((i) => i.name).join(", ")}) that installs its CRD: on a new cluster it is refused with no matches for kind "${id.kind}" in version "${id.apiVersion}"`,
          r.urn,
        );
      }
    }
  },
};
