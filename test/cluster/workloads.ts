import type { CreatedObject } from "./deploy.ts";
import type { KubeClient } from "./kube-client.ts";
import type { KubeObject } from "./manifests.ts";
import { type LabelSelector, selectorQuery } from "./selectors.ts";

interface Workload {
  kind: string;
  namespace: string;
  name: string;
}

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

const WORKLOAD_KINDS = new Set(["Deployment", "StatefulSet", "DaemonSet", "Job"]);

export function workloadsOf(created: CreatedObject[]): Workload[] {
  return created
    .filter(
      (c) =>
        WORKLOAD_KINDS.has(c.object.kind) &&
        c.object.apiVersion.startsWith(c.object.kind === "Job" ? "batch/" : "apps/"),
    )
    .map((c) => ({
      kind: c.object.kind,
      namespace: c.key.split(" ")[1]?.split("/")[0] ?? "default",
      name: String(c.object.metadata?.name),
    }));
}

const collection = (w: Workload) =>
  `/apis/${w.kind === "Job" ? "batch" : "apps"}/v1/namespaces/${w.namespace}/${w.kind.toLowerCase()}s/${w.name}`;

/**
 * What keeps a workload from having the pods its controller should have created: for each Deployment,
 * StatefulSet, DaemonSet and Job, the pods that exist against those wanted, with the controller's own
 * FailedCreate events and ReplicaFailure conditions (the API server's refusal of each pod). A StatefulSet
 * with OrderedReady waits for each pod to become Ready before the next — never here, without a kubelet —
 * so it is expected to have its first pod (and that pod's claims); with Parallel, all of them.
 */
export async function workloadProblems(client: KubeClient, workloads: Workload[]): Promise<string[]> {
  const problems: string[] = [];
  for (const w of workloads) {
    const object = (await client.get(collection(w))) as KubeObject & {
      spec: Record<string, unknown>;
      status?: Record<string, unknown>;
    };
    const label = `${w.kind} ${w.namespace}/${w.name}`;
    const problem = await checkWorkload(client, w, object);
    if (problem) problems.push(`${label}: ${problem}${await eventText(client, w.namespace, w.kind, w.name)}`);
  }
  return problems;
}

async function checkWorkload(
  client: KubeClient,
  w: Workload,
  object: { spec: Record<string, unknown>; status?: Record<string, unknown> },
): Promise<string | undefined> {
  const pods = (query: string) =>
    client.list(`/api/v1/namespaces/${w.namespace}/pods`, { labelSelector: query });
  const owned = async (uid: string, selector: LabelSelector) =>
    (await pods(selectorQuery(selector))).filter((p) =>
      ((p.metadata as { ownerReferences?: { uid: string }[] }).ownerReferences ?? []).some(
        (o) => o.uid === uid,
      ),
    );
  const uid = String((object as { metadata?: { uid?: string } }).metadata?.uid);
  const selector = object.spec.selector as LabelSelector;
  if (w.kind === "Deployment") {
    const sets = (await client.list(`/apis/apps/v1/namespaces/${w.namespace}/replicasets`, {
      labelSelector: selectorQuery(selector),
    })) as (KubeObject & {
      spec: { replicas?: number };
      status?: { replicas?: number; conditions?: Condition[] };
    })[];
    const wanted = (object.spec.replicas as number | undefined) ?? 1;
    const current = sets.filter((s) => (s.spec.replicas ?? 0) > 0);
    if (wanted > 0 && current.length === 0) return `no ReplicaSet with replicas yet (wants ${wanted})`;
    for (const set of current) {
      const have = (await owned(String(set.metadata && (set.metadata as { uid?: string }).uid), selector))
        .length;
      const want = set.spec.replicas ?? 0;
      if (have < want) {
        const failure = (set.status?.conditions ?? []).find(
          (c) => c.type === "ReplicaFailure" && c.status === "True",
        );
        const events = await eventText(client, w.namespace, "ReplicaSet", String(set.metadata?.name));
        return `ReplicaSet ${set.metadata?.name} has ${have} of ${want} pods${failure ? ` (ReplicaFailure: ${failure.message})` : ""}${events}`;
      }
    }
    return undefined;
  }
  if (w.kind === "StatefulSet") {
    const replicas = (object.spec.replicas as number | undefined) ?? 1;
    const parallel = object.spec.podManagementPolicy === "Parallel";
    const want = parallel ? replicas : Math.min(replicas, 1);
    const have = await owned(uid, selector);
    if (have.length < want)
      return `has ${have.length} of ${want} pods (${parallel ? "Parallel" : "OrderedReady"})`;
    const templates = (object.spec.volumeClaimTemplates as KubeObject[] | undefined) ?? [];
    for (let ordinal = 0; ordinal < want; ordinal++) {
      for (const t of templates) {
        const claim = `${t.metadata?.name}-${w.name}-${ordinal}`;
        if (!(await client.exists(`/api/v1/namespaces/${w.namespace}/persistentvolumeclaims/${claim}`))) {
          return `PersistentVolumeClaim ${claim} was not admitted`;
        }
      }
    }
    return undefined;
  }
  if (w.kind === "DaemonSet") {
    const status = object.status ?? {};
    const desired = Number(status.desiredNumberScheduled ?? 0);
    const have = (await owned(uid, selector)).length;
    return have < desired ? `has ${have} of ${desired} pods` : undefined;
  }
  // Job: its pods are created while it is active (none completes without a kubelet).
  if (object.spec.suspend === true) return undefined;
  const wanted = Math.min(Number(object.spec.parallelism ?? 1), Number(object.spec.completions ?? 1));
  const have = (await pods(`batch.kubernetes.io/controller-uid=${uid}`)).length;
  const failed = ((object.status?.conditions as Condition[] | undefined) ?? []).find(
    (c) => c.type === "Failed" && c.status === "True",
  );
  if (failed) return `failed: ${failed.reason} ${failed.message ?? ""}`;
  return have < wanted ? `has ${have} of ${wanted} pods` : undefined;
}

/** The Warning events of one object, as ` — events: reason: message; …` (empty when none). */
export async function eventText(
  client: KubeClient,
  namespace: string,
  kind: string,
  name: string,
): Promise<string> {
  const events = (await client.list(`/api/v1/namespaces/${namespace}/events`, {
    fieldSelector: `involvedObject.kind=${kind},involvedObject.name=${name},type=Warning`,
  })) as (KubeObject & { reason?: string; message?: string; count?: number })[];
  if (events.length === 0) return "";
  const texts = [...new Set(events.map((e) => `${e.reason}: ${e.message}`))];
  return ` — events: ${texts.slice(-5).join("; ")}`;
}

/** Polls until no workload has a problem, or returns the problems left when the time is up. */
export async function settledWorkloadProblems(
  client: KubeClient,
  workloads: Workload[],
  timeoutMs = 60_000,
): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  let problems = await workloadProblems(client, workloads);
  while (problems.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 1_000));
    problems = await workloadProblems(client, workloads);
  }
  return problems;
}
