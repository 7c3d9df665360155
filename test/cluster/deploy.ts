import { type ChartSource, ensureChart, type RenderedObject, renderRelease } from "./charts.ts";
import type { KubeClient } from "./kube-client.ts";
import { type HelmReleaseSpec, type KubeObject, objectKey, type PlanStep } from "./manifests.ts";

export interface CreatedObject {
  key: string;
  /** The plan resource (URN) or the release and template it came from. */
  from: string;
  object: KubeObject;
}

export interface Refused {
  key: string;
  from: string;
  message: string;
}

export interface LeftOut {
  key: string;
  from: string;
  reason: string;
}

export interface DeployResult {
  created: CreatedObject[];
  refused: Refused[];
  leftOut: LeftOut[];
}

/**
 * helm's install order for the kinds of one release (helm.sh/helm/v3 pkg/releaseutil/kind_sorter.go,
 * `InstallOrder`); kinds not listed go last, in template order.
 */
export const HELM_INSTALL_ORDER = [
  "PriorityClass",
  "Namespace",
  "NetworkPolicy",
  "ResourceQuota",
  "LimitRange",
  "PodSecurityPolicy",
  "PodDisruptionBudget",
  "ServiceAccount",
  "Secret",
  "SecretList",
  "ConfigMap",
  "StorageClass",
  "PersistentVolume",
  "PersistentVolumeClaim",
  "CustomResourceDefinition",
  "ClusterRole",
  "ClusterRoleList",
  "ClusterRoleBinding",
  "ClusterRoleBindingList",
  "Role",
  "RoleList",
  "RoleBinding",
  "RoleBindingList",
  "Service",
  "DaemonSet",
  "Pod",
  "ReplicationController",
  "ReplicaSet",
  "Deployment",
  "HorizontalPodAutoscaler",
  "StatefulSet",
  "Job",
  "CronJob",
  "IngressClass",
  "Ingress",
  "APIService",
];

const WEBHOOK_KINDS = new Set(["ValidatingWebhookConfiguration", "MutatingWebhookConfiguration"]);

/**
 * Creates the plan's steps in order. A refused object is recorded with the API server's message and the run
 * goes on, so one run reports every refusal. After a CRD the run waits until it is Established (the provider
 * and helm both wait), after a ResourceQuota until the quota controller has filled its status (a real
 * cluster does so within a second, long before the next create of a real `pulumi up` lands).
 */
export async function deploySteps(
  client: KubeClient,
  steps: PlanStep[],
  charts: ChartSource,
): Promise<DeployResult> {
  const result: DeployResult = { created: [], refused: [], leftOut: [] };
  for (const step of steps) {
    if (step.kind === "object") {
      await createOne(client, step.object, "default", step.urn, result);
    } else {
      await installRelease(client, step.release, step.urn, charts, result);
    }
  }
  return result;
}

async function createOne(
  client: KubeClient,
  object: KubeObject,
  defaultNamespace: string,
  from: string,
  result: DeployResult,
): Promise<void> {
  const namespaced = await client.isNamespaced(object);
  const key = objectKey(object, namespaced ? defaultNamespace : "");
  const refusal = await client.create(object, defaultNamespace);
  if (refusal) {
    result.refused.push({ key, from, message: refusal.message });
    return;
  }
  result.created.push({ key, from, object });
  if (object.kind === "CustomResourceDefinition") await waitEstablished(client, object);
  if (object.kind === "ResourceQuota") {
    await waitQuotaStatus(
      client,
      object.metadata?.namespace ?? defaultNamespace,
      String(object.metadata?.name),
    );
  }
}

async function installRelease(
  client: KubeClient,
  release: HelmReleaseSpec,
  urn: string,
  charts: ChartSource,
  result: DeployResult,
): Promise<void> {
  const file = await ensureChart(charts, release);
  await client.discover();
  let rendered: RenderedObject[];
  try {
    rendered = await renderRelease(file, release, client.plane.version, client.apiVersions());
  } catch (error) {
    // helm install fails the same way (chart schema, template errors): a refusal of the whole release.
    result.refused.push({
      key: `helm release ${release.namespace}/${release.name}`,
      from: urn,
      message: (error as Error).message,
    });
    return;
  }
  const from = (r: RenderedObject) => `${urn} (${r.source})`;
  const ordered = installOrder(rendered);
  for (const r of ordered) {
    const kind = r.object.kind;
    if (WEBHOOK_KINDS.has(kind) && servedByInClusterService(r.object)) {
      result.leftOut.push({
        key: objectKey(r.object),
        from: from(r),
        reason:
          "its webhook Service has no pods without a kubelet, so with it every object it guards would be refused",
      });
      continue;
    }
    const object: KubeObject = r.hooks.length
      ? r.object
      : {
          ...r.object,
          metadata: {
            ...r.object.metadata,
            labels: { ...r.object.metadata?.labels, "app.kubernetes.io/managed-by": "Helm" },
            annotations: {
              ...r.object.metadata?.annotations,
              "meta.helm.sh/release-name": release.name,
              "meta.helm.sh/release-namespace": release.namespace,
            },
          },
        };
    await createOne(client, object, release.namespace, from(r), result);
  }
}

/** CRDs, then pre-install hooks by weight, then the release's objects in helm's order, then post-install hooks. */
export function installOrder(rendered: RenderedObject[]): RenderedObject[] {
  const kindRank = (r: RenderedObject) => {
    const i = HELM_INSTALL_ORDER.indexOf(r.object.kind);
    return i === -1 ? HELM_INSTALL_ORDER.length : i;
  };
  const byKind = (list: RenderedObject[]) =>
    list
      .map((r, i) => ({ r, i }))
      .sort((a, b) => a.r.hookWeight - b.r.hookWeight || kindRank(a.r) - kindRank(b.r) || a.i - b.i)
      .map(({ r }) => r);
  const crds = rendered.filter((r) => r.object.kind === "CustomResourceDefinition" && r.hooks.length === 0);
  const rest = rendered.filter((r) => !crds.includes(r));
  const pre = rest.filter((r) => r.hooks.includes("pre-install"));
  const post = rest.filter((r) => r.hooks.includes("post-install") && !r.hooks.includes("pre-install"));
  const main = rest.filter((r) => r.hooks.length === 0);
  return [...crds, ...byKind(pre), ...byKind(main), ...byKind(post)];
}

function servedByInClusterService(object: KubeObject): boolean {
  const hooks = (object.webhooks as { clientConfig?: { service?: unknown } }[] | undefined) ?? [];
  return hooks.some((h) => h.clientConfig?.service !== undefined);
}

async function waitEstablished(client: KubeClient, crd: KubeObject): Promise<void> {
  const path = `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata?.name}`;
  await poll(`CRD ${crd.metadata?.name} Established`, async () => {
    const body = (await client.get(path)) as { status?: { conditions?: { type: string; status: string }[] } };
    return (body.status?.conditions ?? []).some((c) => c.type === "Established" && c.status === "True");
  });
}

async function waitQuotaStatus(client: KubeClient, namespace: string, name: string): Promise<void> {
  const path = `/api/v1/namespaces/${namespace}/resourcequotas/${name}`;
  await poll(`ResourceQuota ${namespace}/${name} status`, async () => {
    const body = (await client.get(path)) as { status?: { hard?: Record<string, string> } };
    return Object.keys(body.status?.hard ?? {}).length > 0;
  });
}

export async function poll(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}
