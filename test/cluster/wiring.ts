import type { CreatedObject } from "./deploy.ts";
import type { KubeClient } from "./kube-client.ts";
import type { KubeObject } from "./manifests.ts";
import { type LabelSelector, selectorQuery } from "./selectors.ts";
import { eventText } from "./workloads.ts";

export interface Exclusion {
  /** Matches a selector's labels (or the namespace) of what cannot exist here. */
  applies: (namespace: string, selector: Record<string, unknown> | undefined) => boolean;
  reason: string;
}

/**
 * What a selector may point at that this control plane cannot have, each with the reason: pods that an
 * operator would create (the operator's own pod never runs without a kubelet) and DigitalOcean's managed
 * components in kube-system (the DOKS control plane is not a set of pods in the cluster).
 */
export const EXCLUSIONS: Exclusion[] = [
  {
    applies: (_ns, selector) => selectsOperatorPods(selector),
    reason: "selects Prometheus/Alertmanager pods, which only the prometheus-operator creates",
  },
  {
    applies: (ns) => ns === "kube-system",
    reason: "selects DOKS-managed components in kube-system, which this control plane does not run as pods",
  },
];

/** The pod labels the prometheus-operator gives Prometheus and Alertmanager pods. */
function selectsOperatorPods(selector: Record<string, unknown> | undefined): boolean {
  if (!selector) return false;
  const labels =
    (selector.matchLabels as Record<string, string> | undefined) ?? (selector as Record<string, string>);
  const name = labels["app.kubernetes.io/name"];
  return (
    hasKey(selector, "operator.prometheus.io/name") ||
    labels["app.kubernetes.io/managed-by"] === "prometheus-operator" ||
    ((name === "prometheus" || name === "alertmanager") &&
      (hasKey(selector, "prometheus") || hasKey(selector, "alertmanager")))
  );
}

function hasKey(selector: Record<string, unknown> | undefined, key: string): boolean {
  if (!selector) return false;
  const labels =
    (selector.matchLabels as Record<string, string> | undefined) ?? (selector as Record<string, string>);
  const expressions = (selector.matchExpressions as { key: string }[] | undefined) ?? [];
  return key in labels || expressions.some((e) => e.key === key);
}

export interface WiringReport {
  problems: string[];
  skipped: string[];
}

type Spec = Record<string, unknown>;

/**
 * Checks that what points at pods finds them, with the API server evaluating every selector: each HPA's
 * scaleTargetRef exists; each PDB, Service (with a selector) and NetworkPolicy selects at least one pod;
 * each ServiceMonitor selects Services (in the namespaces its namespaceSelector names) that select pods and
 * carry the monitor's port names; each PodMonitor selects pods with its port names. PDBs also report the
 * disruption controller's own warnings (for example a selector that also catches Job pods).
 */
export async function wiringProblems(client: KubeClient, created: CreatedObject[]): Promise<WiringReport> {
  const report: WiringReport = { problems: [], skipped: [] };
  for (const c of created) {
    const ns = c.object.metadata?.namespace ?? c.key.split(" ")[1]?.split("/")[0] ?? "default";
    const name = String(c.object.metadata?.name);
    const label = `${c.object.kind} ${ns}/${name}`;
    const spec = (c.object.spec ?? {}) as Spec;
    const excluded = (namespace: string, selector: Record<string, unknown> | undefined) => {
      const hit = EXCLUSIONS.find((e) => e.applies(namespace, selector));
      if (hit) report.skipped.push(`${label}: ${hit.reason}`);
      return hit !== undefined;
    };
    const pods = (namespace: string, selector: LabelSelector | Record<string, string> | undefined) =>
      client.list(`/api/v1/namespaces/${namespace}/pods`, { labelSelector: selectorQuery(selector) });
    switch (c.object.kind) {
      case "HorizontalPodAutoscaler": {
        const ref = spec.scaleTargetRef as { apiVersion: string; kind: string; name: string };
        const path = await client.collectionPath({ apiVersion: ref.apiVersion, kind: ref.kind }, ns);
        if (!path || !(await client.exists(`${path}/${ref.name}`))) {
          report.problems.push(`${label}: scaleTargetRef ${ref.kind} ${ref.name} does not exist`);
        }
        break;
      }
      case "PodDisruptionBudget": {
        const selector = spec.selector as LabelSelector;
        if (excluded(ns, selector as Spec)) break;
        if ((await pods(ns, selector)).length === 0)
          report.problems.push(`${label}: selector matches no pod`);
        const warnings = await eventText(client, ns, "PodDisruptionBudget", name);
        if (warnings) report.problems.push(`${label}:${warnings.replace(/^ —/, "")}`);
        break;
      }
      case "Service": {
        const selector = spec.selector as Record<string, string> | undefined;
        if (!selector || Object.keys(selector).length === 0 || excluded(ns, selector)) break;
        if ((await pods(ns, selector)).length === 0)
          report.problems.push(`${label}: selector ${selectorQuery(selector)} matches no pod`);
        break;
      }
      case "NetworkPolicy": {
        const selector = spec.podSelector as LabelSelector | undefined;
        if (excluded(ns, selector as Spec)) break;
        if ((await pods(ns, selector)).length === 0) {
          report.problems.push(`${label}: podSelector ${selectorQuery(selector) || "{}"} matches no pod`);
        }
        break;
      }
      case "ServiceMonitor":
      case "PodMonitor": {
        const selector = spec.selector as LabelSelector | undefined;
        const namespaces = await monitoredNamespaces(client, ns, spec.namespaceSelector as Spec | undefined);
        if (namespaces.some((n) => excluded(n, selector as Spec))) break;
        const ports = (
          (spec.endpoints ?? spec.podMetricsEndpoints ?? []) as { port?: string; targetPort?: unknown }[]
        )
          .map((e) => e.port)
          .filter((p): p is string => typeof p === "string");
        const problem =
          c.object.kind === "ServiceMonitor"
            ? await serviceMonitorProblem(client, namespaces, selector, ports)
            : await podMonitorProblem(client, namespaces, selector, ports);
        if (problem) report.problems.push(`${label}: ${problem}`);
        break;
      }
    }
  }
  return report;
}

async function monitoredNamespaces(
  client: KubeClient,
  own: string,
  selector: Spec | undefined,
): Promise<string[]> {
  if (selector?.any === true) {
    return (await client.list("/api/v1/namespaces")).map((n) => String(n.metadata?.name));
  }
  const names = selector?.matchNames as string[] | undefined;
  return names && names.length > 0 ? names : [own];
}

async function serviceMonitorProblem(
  client: KubeClient,
  namespaces: string[],
  selector: LabelSelector | undefined,
  ports: string[],
): Promise<string | undefined> {
  const services: KubeObject[] = [];
  for (const n of namespaces) {
    services.push(
      ...(await client.list(`/api/v1/namespaces/${n}/services`, { labelSelector: selectorQuery(selector) })),
    );
  }
  const where = `in ${namespaces.join(", ")}`;
  if (services.length === 0) return `selector ${selectorQuery(selector) || "{}"} matches no Service ${where}`;
  const withPods: KubeObject[] = [];
  for (const s of services) {
    const podSelector = (s.spec as Spec).selector as Record<string, string> | undefined;
    // A Service without a selector has its endpoints kept by someone else (`default/kubernetes` by the
    // API server itself): nothing here to judge, so it counts as backed.
    // Services in front of operator-made pods cannot be judged here either (see EXCLUSIONS).
    if (!podSelector || Object.keys(podSelector).length === 0 || selectsOperatorPods(podSelector)) {
      withPods.push(s);
      continue;
    }
    const found = await client.list(`/api/v1/namespaces/${s.metadata?.namespace}/pods`, {
      labelSelector: selectorQuery(podSelector),
    });
    if (found.length > 0) withPods.push(s);
  }
  if (withPods.length === 0) {
    return `the Services it selects (${services.map((s) => s.metadata?.name).join(", ")}) select no pod`;
  }
  const named = new Set(
    withPods.flatMap((s) => ((s.spec as Spec).ports as { name?: string }[]).map((p) => p.name)),
  );
  const missing = ports.filter((p) => !named.has(p));
  return missing.length > 0
    ? `endpoint port ${missing.join(", ")} is not a port of ${withPods.map((s) => s.metadata?.name).join(", ")}`
    : undefined;
}

async function podMonitorProblem(
  client: KubeClient,
  namespaces: string[],
  selector: LabelSelector | undefined,
  ports: string[],
): Promise<string | undefined> {
  const pods: KubeObject[] = [];
  for (const n of namespaces) {
    pods.push(
      ...(await client.list(`/api/v1/namespaces/${n}/pods`, { labelSelector: selectorQuery(selector) })),
    );
  }
  if (pods.length === 0)
    return `selector ${selectorQuery(selector) || "{}"} matches no pod in ${namespaces.join(", ")}`;
  const named = new Set(
    pods.flatMap((p) =>
      ((p.spec as Spec).containers as { ports?: { name?: string }[] }[]).flatMap((c) =>
        (c.ports ?? []).map((x) => x.name),
      ),
    ),
  );
  const missing = ports.filter((p) => !named.has(p));
  return missing.length > 0
    ? `endpoint port ${missing.join(", ")} is not a container port of the selected pods`
    : undefined;
}
