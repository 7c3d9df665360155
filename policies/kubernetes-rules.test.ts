import { describe, expect, it } from "vitest";
import {
  containerLimitsWithinLimitRange,
  nodePortsWithinQuota,
  quotaHeadroom,
} from "./kubernetes-capacity-rules.ts";
import {
  customResourcesAfterCrds,
  kubernetesObjectIdentityUnique,
  namespacedObjectsAfterNamespace,
} from "./kubernetes-graph-rules.ts";
import { parseCpu, parseMemory, surgePods } from "./pod-demand.ts";
import type { PolicyResource, PolicyRule } from "./resource.ts";
import { evaluatePolicies } from "./rules.ts";

const STACK = "staging";

function k8s(
  type: string,
  name: string,
  props: Record<string, unknown>,
  dependencies: PolicyResource[] = [],
): PolicyResource {
  return {
    type,
    name,
    urn: `urn:pulumi:${STACK}::gomeet::${type}::${name}`,
    props,
    dependencies: dependencies.map((d) => d.urn),
  };
}

const namespace = (ns: string) =>
  k8s("kubernetes:core/v1:Namespace", `ns-${ns}`, {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name: ns },
  });

const configMap = (name: string, ns: string, deps: PolicyResource[] = []) =>
  k8s("kubernetes:core/v1:ConfigMap", name, { metadata: { name, namespace: ns } }, deps);

const release = (
  name: string,
  chart: string,
  ns: string,
  values: Record<string, unknown>,
  deps: PolicyResource[],
) => k8s("kubernetes:helm.sh/v3:Release", name, { chart, namespace: ns, values }, deps);

const serviceMonitor = (name: string, ns: string, deps: PolicyResource[]) =>
  k8s(
    "kubernetes:monitoring.coreos.com/v1:ServiceMonitor",
    `${name}-servicemonitor`,
    { apiVersion: "monitoring.coreos.com/v1", kind: "ServiceMonitor", metadata: { name, namespace: ns } },
    deps,
  );

const quota = (ns: string, hard: Record<string, string>, deps: PolicyResource[]) =>
  k8s(
    "kubernetes:core/v1:ResourceQuota",
    `quota-${ns}`,
    { metadata: { name: "compute", namespace: ns }, spec: { hard } },
    deps,
  );

const limitRange = (ns: string, limits: Record<string, unknown>, deps: PolicyResource[]) =>
  k8s(
    "kubernetes:core/v1:LimitRange",
    `limits-${ns}`,
    {
      metadata: { name: "container-defaults", namespace: ns },
      spec: { limits: [{ type: "Container", ...limits }] },
    },
    deps,
  );

const deployment = (
  name: string,
  ns: string,
  cpu: { request: string; limit: string },
  deps: PolicyResource[],
) =>
  k8s(
    "kubernetes:apps/v1:Deployment",
    name,
    {
      metadata: { name, namespace: ns },
      spec: {
        strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
        template: {
          spec: {
            containers: [
              {
                name,
                resources: {
                  requests: { cpu: cpu.request, memory: "256Mi" },
                  limits: { cpu: cpu.limit, memory: "256Mi" },
                },
              },
            ],
          },
        },
      },
    },
    deps,
  );

const hpa = (name: string, ns: string, maxReplicas: number, deps: PolicyResource[]) =>
  k8s(
    "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
    `${name}-hpa`,
    {
      metadata: { name, namespace: ns },
      spec: { scaleTargetRef: { kind: "Deployment", name }, minReplicas: 1, maxReplicas },
    },
    deps,
  );

function run(rule: PolicyRule, resources: PolicyResource[]): string[] {
  return evaluatePolicies(resources, [rule]).map((v) => v.message);
}

describe("Kubernetes graph rules", () => {
  it("kubernetes-object-identity-unique: the same ServiceMonitor declared by two resources", () => {
    const ns = namespace("services");
    const a = serviceMonitor("auth", "services", [ns]);
    const b = {
      ...serviceMonitor("auth", "services", [ns]),
      name: "monitoring-servicemonitor-auth",
      urn: "urn:b",
    };
    expect(run(kubernetesObjectIdentityUnique, [ns, a])).toEqual([]);
    // Another namespace or name is another object.
    expect(run(kubernetesObjectIdentityUnique, [ns, a, serviceMonitor("auth", "monitoring", [])])).toEqual(
      [],
    );
    const found = evaluatePolicies([ns, a, b], [kubernetesObjectIdentityUnique]);
    expect(found.map((v) => [v.message, v.urn])).toEqual([
      [
        "monitoring.coreos.com/v1 ServiceMonitor services/auth is declared by 2 resources (auth-servicemonitor, monitoring-servicemonitor-auth); the API server refuses the second create with AlreadyExists",
        "urn:b",
      ],
    ]);
  });

  it("namespaced-objects-after-namespace: direct, transitive, missing and undeclared", () => {
    const ns = namespace("media");
    const direct = configMap("direct", "media", [ns]);
    const transitive = configMap("transitive", "media", [direct]);
    expect(run(namespacedObjectsAfterNamespace, [ns, direct, transitive])).toEqual([]);
    expect(run(namespacedObjectsAfterNamespace, [ns, configMap("racing", "media")])).toEqual([
      'v1 ConfigMap media/racing does not depend on Namespace media (ns-media): on a new cluster its create races the namespace and fails with namespaces "media" not found',
    ]);
    expect(
      run(namespacedObjectsAfterNamespace, [release("adapter", "prometheus-adapter", "monitoring", {}, [])]),
    ).toEqual(["Helm release adapter is created in namespace monitoring, which the stack does not declare"]);
    // Cluster-scoped kinds and system namespaces need no Namespace resource.
    const priority = k8s("kubernetes:scheduling.k8s.io/v1:PriorityClass", "pc", {
      metadata: { name: "media" },
    });
    expect(run(namespacedObjectsAfterNamespace, [priority, configMap("dns", "kube-system")])).toEqual([]);
  });

  it("custom-resources-after-crds: a monitor before its chart, a group nobody installs", () => {
    const ns = namespace("services");
    const chart = release("monitoring", "kube-prometheus-stack", "monitoring", {}, []);
    expect(run(customResourcesAfterCrds, [ns, chart, serviceMonitor("auth", "services", [chart])])).toEqual(
      [],
    );
    expect(run(customResourcesAfterCrds, [ns, chart, serviceMonitor("auth", "services", [ns])])).toEqual([
      'monitoring.coreos.com/v1 ServiceMonitor services/auth does not depend on the kube-prometheus-stack release (monitoring) that installs its CRD: on a new cluster it is refused with no matches for kind "ServiceMonitor" in version "monitoring.coreos.com/v1"',
    ]);
    expect(run(customResourcesAfterCrds, [serviceMonitor("auth", "services", [])])).toEqual([
      "monitoring.coreos.com/v1 ServiceMonitor services/auth needs the CRDs of chart kube-prometheus-stack, which the stack does not install",
    ]);
    const unknown = k8s("kubernetes:example.io/v1:Widget", "w", { metadata: { name: "w", namespace: "x" } });
    expect(run(customResourcesAfterCrds, [unknown])).toEqual([
      "example.io/v1 Widget x/w: no chart of the stack is known to install the CRDs of example.io",
    ]);
  });
});

describe("Kubernetes capacity rules", () => {
  const ns = namespace("gateway");
  const traefik = (ports?: Record<string, unknown>) =>
    release(
      "gateway-traefik",
      "traefik",
      "gateway",
      { service: { type: "LoadBalancer" }, ...(ports ? { ports } : {}) },
      [ns],
    );

  it("nodeports-within-quota: Traefik's LoadBalancer Service needs one NodePort per exposed port", () => {
    const q = (nodeports: string) =>
      quota("gateway", { "services.nodeports": nodeports, "services.loadbalancers": "1" }, [ns]);
    expect(run(nodePortsWithinQuota, [ns, q("2"), traefik()])).toEqual([]);
    expect(run(nodePortsWithinQuota, [ns, q("0"), traefik()])).toEqual([
      "namespace gateway: ResourceQuota compute allows services.nodeports 0, but Service gateway/traefik of Helm release gateway-traefik (LoadBalancer, 2 NodePorts) need 2; the Service is refused and its release fails",
    ]);
    // A port exposed on top of web and websecure needs a third.
    expect(
      run(nodePortsWithinQuota, [ns, q("2"), traefik({ metrics: { expose: { default: true } } })]),
    ).toHaveLength(1);
    // A plain NodePort Service in a namespace that allows none.
    const svc = k8s("kubernetes:core/v1:Service", "debug", {
      metadata: { name: "debug", namespace: "gateway" },
      spec: { type: "NodePort", ports: [{ port: 80 }] },
    });
    expect(run(nodePortsWithinQuota, [ns, q("0"), svc])).toHaveLength(1);
  });

  it("container-limits-within-limitrange: a 2× CPU limit above a max set to the request", () => {
    const services = namespace("services");
    const lr = (max: string) =>
      limitRange(
        "services",
        {
          defaultRequest: { cpu: "50m", memory: "64Mi" },
          default: { cpu: "250m", memory: "256Mi" },
          max: { cpu: max, memory: "1Gi" },
        },
        [services],
      );
    const chat = deployment("chat", "services", { request: "250m", limit: "500m" }, [services]);
    expect(run(containerLimitsWithinLimitRange, [services, lr("500m"), chat])).toEqual([]);
    expect(run(containerLimitsWithinLimitRange, [services, lr("250m"), chat])).toEqual([
      "Deployment services/chat container chat: limit cpu 500m exceeds the LimitRange max 250m of namespace services; its pods are refused (maximum cpu usage per Container is 250m)",
    ]);
    // A default above the max refuses every pod that relies on it.
    expect(run(containerLimitsWithinLimitRange, [services, lr("200m")])).toEqual([
      "namespace services: LimitRange default cpu 250m exceeds its max 200m",
    ]);
  });

  it("quota-headroom: HPA maximum plus one surge pod plus the migration Job", () => {
    const services = namespace("services");
    const auth = deployment("auth", "services", { request: "100m", limit: "200m" }, [services]);
    const job = k8s("kubernetes:batch/v1:Job", "auth-migrate", {
      metadata: { name: "auth-migrate-abc", namespace: "services" },
      spec: {
        template: {
          spec: {
            containers: [
              {
                name: "migrate",
                resources: {
                  requests: { cpu: "100m", memory: "256Mi" },
                  limits: { cpu: "200m", memory: "256Mi" },
                },
              },
            ],
          },
        },
      },
    });
    const q = (pods: number) =>
      quota(
        "services",
        {
          pods: String(pods),
          "requests.cpu": `${pods * 100}m`,
          "limits.cpu": `${pods * 200}m`,
          "requests.memory": `${pods * 256}Mi`,
          "limits.memory": `${pods * 256}Mi`,
        },
        [services],
      );
    // HPA max 4 + 1 surge + 1 Job pod = 6.
    expect(run(quotaHeadroom, [services, auth, hpa("auth", "services", 4, [auth]), job, q(6)])).toEqual([]);
    const tight = run(quotaHeadroom, [services, auth, hpa("auth", "services", 4, [auth]), job, q(4)]);
    expect(tight).toHaveLength(5);
    expect(tight[0]).toBe(
      "namespace services: ResourceQuota compute allows pods 4, but its workloads need 6 at their maximum (Deployment services/auth ×5, Job services/auth-migrate-abc ×1)",
    );
  });

  it("quota-headroom: Prometheus volumes of every replica fit the monitoring storage quota", () => {
    const monitoring = namespace("monitoring");
    const stack = release(
      "monitoring",
      "kube-prometheus-stack",
      "monitoring",
      {
        alertmanager: { enabled: false },
        prometheus: {
          prometheusSpec: {
            replicas: 2,
            resources: { requests: { cpu: "1", memory: "4Gi" }, limits: { cpu: "2", memory: "8Gi" } },
            storageSpec: { volumeClaimTemplate: { spec: { resources: { requests: { storage: "100Gi" } } } } },
          },
        },
      },
      [monitoring],
    );
    const q = (storage: string) =>
      quota("monitoring", { "requests.storage": storage, persistentvolumeclaims: "2" }, [monitoring]);
    expect(run(quotaHeadroom, [monitoring, stack, q("200Gi")])).toEqual([]);
    expect(run(quotaHeadroom, [monitoring, stack, q("110Gi")])).toEqual([
      "namespace monitoring: ResourceQuota compute allows requests.storage 110Gi, but its workloads need 200Gi at their maximum (prometheus (Helm release monitoring) ×2)",
    ]);
  });

  it("reads Kubernetes quantities and rollout surges as the API server does", () => {
    expect(parseCpu("250m")).toBe(250);
    expect(parseCpu("1.5")).toBe(1500);
    expect(parseMemory("1Gi")).toBe(1024);
    expect(parseMemory("512M")).toBeCloseTo(488.28, 2);
    expect(surgePods({ rollingUpdate: { maxSurge: 1 } }, 10)).toBe(1);
    expect(surgePods({}, 10)).toBe(3);
    expect(surgePods({ type: "Recreate" }, 10)).toBe(0);
  });
});
