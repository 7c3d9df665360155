import { describeObject, kubernetesIdentity, selectorMatches } from "./kubernetes-objects.ts";
import { asRecord, get, type PolicyResource, type ResourceRule, type StackRule } from "./resource.ts";

/**
 * Jobs next to the long-running workloads: they share a namespace (and easily a label) with the Deployments a
 * PodDisruptionBudget protects, and they finish, which the rest of the stack's life cycle must allow for.
 */

/** Pods whose controller has no scale subresource: the disruption controller cannot count how many there should be. */
interface UnscalablePods {
  owner: PolicyResource;
  what: string;
  namespace: string;
  labels: Record<string, unknown>;
  /** The API group and resource of the controller, as the disruption controller names it. */
  resource: string;
}

function unscalablePods(resources: PolicyResource[]): UnscalablePods[] {
  const pods: UnscalablePods[] = [];
  for (const r of resources) {
    const id = kubernetesIdentity(r);
    if (!id?.namespace) continue;
    const template =
      id.kind === "Job" || id.kind === "DaemonSet"
        ? get(r.props, "spec.template.metadata.labels")
        : id.kind === "CronJob"
          ? get(r.props, "spec.jobTemplate.spec.template.metadata.labels")
          : undefined;
    if (template === undefined) continue;
    pods.push({
      owner: r,
      what: describeObject(id),
      namespace: id.namespace,
      labels: asRecord(template),
      // A CronJob's pods belong to the Jobs it creates; the controller looks the Job up.
      resource: id.kind === "DaemonSet" ? "daemonsets.apps" : "jobs.batch",
    });
  }
  return pods;
}

/**
 * Only an integer `minAvailable` works without the expected pod count; `maxUnavailable` and a percentage need
 * it, which the controller reads from the scale subresource of the pods' owner ("Arbitrary Controllers and
 * Selectors", https://kubernetes.io/docs/tasks/run-application/configure-pdb/#arbitrary-controllers-and-selectors).
 */
function needsExpectedCount(pdb: PolicyResource): boolean {
  const minAvailable = get(pdb.props, "spec.minAvailable");
  return get(pdb.props, "spec.maxUnavailable") !== undefined || typeof minAvailable === "string";
}

export const disruptionBudgetsSelectScalablePods: StackRule = {
  kind: "stack",
  name: "disruption-budgets-select-scalable-pods",
  description:
    "A PodDisruptionBudget with maxUnavailable or a percentage selects no Job, CronJob or DaemonSet pods: their controllers have no scale subresource, so the disruption controller cannot compute the budget and evictions of the pods it protects are blocked.",
  enforcement: "mandatory",
  check(resources, report) {
    const candidates = unscalablePods(resources);
    for (const pdb of resources) {
      const id = kubernetesIdentity(pdb);
      if (id?.kind !== "PodDisruptionBudget" || !needsExpectedCount(pdb)) continue;
      const selector = get(pdb.props, "spec.selector");
      for (const pods of candidates) {
        if (pods.namespace !== id.namespace || !selectorMatches(selector, pods.labels)) continue;
        report(
          `${describeObject(id)} also selects the pods of ${pods.what}; the disruption controller reports CalculateExpectedPodCountFailed (${pods.resource} does not implement the scale subresource) and the budget allows no eviction. Give those pods labels the selector does not match`,
          pdb.urn,
        );
      }
    }
  },
};

/**
 * Pulumi.yaml sets `refresh: always`, so every `pulumi up` first reads each Job back from the cluster. A Job
 * that the TTL controller deleted after it finished is then gone from the state, and the update creates it
 * again: with a TTL every `up` re-runs the migrations of every service.
 */
export const jobsKeptAfterFinishing: ResourceRule = {
  kind: "resource",
  name: "jobs-kept-after-finishing",
  description:
    "Jobs the stack declares set no ttlSecondsAfterFinished: the project refreshes before every update (Pulumi.yaml refresh: always), and a Job the TTL controller deleted is created again by the next update.",
  enforcement: "mandatory",
  check(r, report) {
    const id = kubernetesIdentity(r);
    if (id?.kind !== "Job") return;
    const ttl = get(r.props, "spec.ttlSecondsAfterFinished");
    if (ttl === undefined || ttl === null) return;
    report(
      `${describeObject(id)} sets ttlSecondsAfterFinished ${String(ttl)}: once the TTL controller deletes it, the refresh before the next update drops it from the state and the update runs it again`,
      r.urn,
    );
  },
};
