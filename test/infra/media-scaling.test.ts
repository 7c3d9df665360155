import { beforeAll, describe, expect, it } from "vitest";
import { METRICS_API_PORT } from "../../components/baseline/network-policies.ts";
import {
  LIVEKIT_SCALE_DOWN_STABILIZATION_SECONDS,
  MEDIA_SCALE_LEAD_SECONDS,
  mediaNodeStartupSeconds,
} from "../../components/media/livekit-autoscaling.ts";
import {
  MEDIA_NODES_NEEDED_METRIC,
  MEDIA_NODES_WINDOWS,
  mediaNodesNeededRule,
  PROMETHEUS_ADAPTER_CHART,
} from "../../components/observability/metrics-adapter.ts";
import { KUBE_PROMETHEUS_STACK_CHART } from "../../components/observability/monitoring-chart.ts";
import type { PlanGraph, PlannedResource } from "../../infra/plan/engine.ts";
import { planInline } from "../../infra/plan/plan.ts";
import { checkPlanPolicies } from "../../infra/plan/policy-check.ts";
import { loadPlatformConfig } from "../../stacks/loader.ts";
import type { PlatformConfig } from "../../stacks/schema.ts";
import { named, ofType } from "./stack-helpers.ts";

const T = {
  release: "kubernetes:helm.sh/v3:Release",
  hpa: "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
  networkPolicy: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
} as const;

const STACKS = [
  {
    stack: "production",
    environment: "production",
    overrides: { turn: { adminSshCidrs: ["203.0.113.10/32"], sshKeys: ["41424344"] } },
  },
  { stack: "staging", environment: "staging", overrides: {} },
  { stack: "eph-alice", environment: "ephemeral", overrides: {} },
] as const;

// biome-ignore lint/suspicious/noExplicitAny: recorded inputs are untyped JSON trees; the assertions check their shape.
type Obj = Record<string, any>;
const inputs = (r: PlannedResource): Obj => r.inputs as Obj;

function releaseOf(graph: PlanGraph, chart: string): PlannedResource {
  const found = ofType(graph, T.release).filter((r) => r.inputs.chart === chart);
  expect(found, `Helm releases of ${chart}`).toHaveLength(1);
  return found[0] as PlannedResource;
}

describe("lead time against media node start-up", () => {
  it("asks for nodes earlier than a new node takes to serve, with room to spare", () => {
    expect(mediaNodeStartupSeconds()).toBeGreaterThan(0);
    expect(MEDIA_SCALE_LEAD_SECONDS).toBeGreaterThanOrEqual(2 * mediaNodeStartupSeconds());
  });
});

describe.each(STACKS)("schedule-aware media scaling — $stack", ({ stack, environment, overrides }) => {
  let graph: PlanGraph;
  let config: PlatformConfig;

  beforeAll(async () => {
    graph = await planInline({ stack, environment, overrides });
    config = loadPlatformConfig({ environment, overrides, stack });
  });

  it("runs the pinned prometheus-adapter in monitoring, after Prometheus, pointed at its Service", () => {
    const adapter = releaseOf(graph, PROMETHEUS_ADAPTER_CHART.chart);
    expect(inputs(adapter)).toMatchObject({
      name: PROMETHEUS_ADAPTER_CHART.releaseName,
      version: PROMETHEUS_ADAPTER_CHART.version,
      repositoryOpts: { repo: PROMETHEUS_ADAPTER_CHART.repo },
      namespace: "monitoring",
      createNamespace: false,
      atomic: true,
    });
    expect(adapter.inputs.version).toMatch(/^\d+\.\d+\.\d+$/);
    const prometheus = releaseOf(graph, KUBE_PROMETHEUS_STACK_CHART.chart);
    expect(adapter.dependencies).toContain(prometheus.urn);
    // The adapter's URL is the Service kube-prometheus-stack creates: `<fullnameOverride>-prometheus`.
    const fullname = inputs(prometheus).values.fullnameOverride as string;
    expect(inputs(adapter).values.prometheus).toEqual({
      url: `http://${fullname}-prometheus.${inputs(prometheus).namespace}.svc`,
      port: 9090,
      path: "",
    });
    const replicas = config.cluster.highAvailability ? 2 : 1;
    expect(inputs(adapter).values).toMatchObject({
      replicas,
      podDisruptionBudget: { enabled: replicas > 1 },
      priorityClassName: "gomeet-platform",
    });
  });

  it("configures the adapter with the meetings rule and no custom-metrics API", () => {
    const rules = inputs(releaseOf(graph, PROMETHEUS_ADAPTER_CHART.chart)).values.rules as Obj;
    expect(rules.default).toBe(false);
    expect(rules.custom).toEqual([]);
    expect(rules.external).toEqual([
      mediaNodesNeededRule({ servicesNamespace: "services", service: "meetings" }),
    ]);
    expect(rules.resource.cpu.containerQuery).toContain("container_cpu_usage_seconds_total");
  });

  it("has the meetings service scraped from the namespace the rule reads", () => {
    const monitor = graph.resources.find(
      (r) => r.type.endsWith(":ServiceMonitor") && inputs(r).metadata.name === "meetings",
    );
    expect(monitor, "a ServiceMonitor for meetings").toBeDefined();
    expect(inputs(monitor as PlannedResource).metadata.namespace).toBe("services");
    // honorLabels keeps the service's own `service` label, which the rule's fixed matcher reads.
    expect(inputs(monitor as PlannedResource).spec.endpoints[0].honorLabels).toBe(true);
    expect(
      mediaNodesNeededRule({ servicesNamespace: "services", service: "meetings" }).seriesQuery,
    ).toContain(`namespace="${inputs(monitor as PlannedResource).metadata.namespace}",service="meetings"`);
  });

  it("scales LiveKit on max(lead, now) of the External metric and CPU, within the media pool", () => {
    const hpa = inputs(named(graph, T.hpa, "livekit-hpa")).spec as Obj;
    const pool = config.cluster.pools.media;
    expect(hpa.scaleTargetRef).toEqual({ apiVersion: "apps/v1", kind: "Deployment", name: "livekit" });
    expect([hpa.minReplicas, hpa.maxReplicas]).toEqual([pool.minNodes, pool.maxNodes]);
    const external = (hpa.metrics as Obj[]).filter((m) => m.type === "External");
    // One metric per window: the HPA takes the largest of the per-metric counts, but sums the series one
    // selector matches.
    expect(external.map((m) => m.external.metric.selector)).toEqual(
      ["lead", "now"].map((window) => ({ matchLabels: { window } })),
    );
    expect([...MEDIA_NODES_WINDOWS].sort()).toEqual(["lead", "now"]);
    const exposed = mediaNodesNeededRule({ servicesNamespace: "services", service: "meetings" }).name.as;
    for (const m of external) {
      expect(m.external.metric.name).toBe(exposed);
      expect(m.external.metric.name).toBe(MEDIA_NODES_NEEDED_METRIC);
      expect(m.external.target).toEqual({ type: "AverageValue", averageValue: "1" });
    }
    expect((hpa.metrics as Obj[]).find((m) => m.type === "Resource")?.resource).toEqual({
      name: "cpu",
      target: { type: "Utilization", averageUtilization: 60 },
    });
  });

  it("scales up at once and down slowly, one draining node at a time", () => {
    const behavior = (inputs(named(graph, T.hpa, "livekit-hpa")).spec as Obj).behavior as Obj;
    expect(behavior.scaleUp.stabilizationWindowSeconds).toBe(0);
    expect(behavior.scaleDown.stabilizationWindowSeconds).toBe(LIVEKIT_SCALE_DOWN_STABILIZATION_SECONDS);
    expect(behavior.scaleDown.stabilizationWindowSeconds).toBeGreaterThanOrEqual(MEDIA_SCALE_LEAD_SECONDS);
    expect(behavior.scaleDown.policies).toEqual([{ type: "Pods", value: 1, periodSeconds: 600 }]);
    const pdb = graph.resources.find(
      (r) =>
        r.type === "kubernetes:policy/v1:PodDisruptionBudget" &&
        inputs(r).metadata.namespace === "media" &&
        inputs(r).metadata.name === "livekit",
    );
    expect(inputs(pdb as PlannedResource).spec.maxUnavailable).toBe(1);
  });

  it("lets the API server reach the adapter on its listen port, and the adapter reach Prometheus and the API", () => {
    const values = inputs(releaseOf(graph, PROMETHEUS_ADAPTER_CHART.chart)).values as Obj;
    expect(values.listenPort).toBe(METRICS_API_PORT);
    const monitoring = ofType(graph, T.networkPolicy).filter(
      (p) => inputs(p).metadata.namespace === "monitoring",
    );
    const rules = (direction: "ingress" | "egress") =>
      monitoring.flatMap((p) => (inputs(p).spec[direction] ?? []) as Obj[]);
    const admits = (list: Obj[], peer: (p: Obj) => boolean, port: number) =>
      list.some(
        (r) =>
          ((r.from ?? r.to) as Obj[]).some(peer) &&
          ((r.ports as Obj[]).length === 0 || (r.ports as Obj[]).some((p) => p.port === port)),
      );
    const anywhere = (p: Obj) => p.ipBlock?.cidr === "0.0.0.0/0";
    const sameNamespace = (p: Obj) => p.podSelector !== undefined && p.namespaceSelector === undefined;
    expect(admits(rules("ingress"), anywhere, METRICS_API_PORT), "API server → adapter").toBe(true);
    expect(admits(rules("egress"), sameNamespace, 9090), "adapter → Prometheus").toBe(true);
    expect(admits(rules("egress"), anywhere, 443), "adapter → API server").toBe(true);
  });

  it("still passes every mandatory policy", () => {
    expect(checkPlanPolicies(graph).filter((v) => v.enforcement === "mandatory")).toEqual([]);
  });
});
