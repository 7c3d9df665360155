import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { NAMESPACES } from "../baseline/namespaces.ts";
import { METRICS_API_PORT } from "../baseline/network-policies.ts";
import { PRIORITY_CLASSES } from "../baseline/priority-classes.ts";
import { KUBE_PROMETHEUS_STACK_CHART } from "./monitoring-chart.ts";

/**
 * prometheus-adapter, pinned: chart 5.3.0 (app v0.12.0) of prometheus-community/helm-charts
 * `charts/prometheus-adapter`, the same repository state as the pinned kube-prometheus-stack. Value keys
 * (`prometheus.url`, `rules.external`, `rules.resource`, `listenPort`, `podDisruptionBudget`) are those of the
 * chart's values.yaml.
 */
export const PROMETHEUS_ADAPTER_CHART = {
  chart: "prometheus-adapter",
  version: "5.3.0",
  repo: "https://prometheus-community.github.io/helm-charts",
  releaseName: "metrics-adapter",
} as const;

/** The meetings service's gauge (docs/metrics.md), exposed under the same name as an External metric. */
export const MEDIA_NODES_NEEDED_METRIC = "gomeet_media_nodes_needed";
/** The gauge's `window` label values (apps/meetings/src/media-nodes-needed.ts). */
export const MEDIA_NODES_WINDOWS = ["now", "lead"] as const;

/**
 * kube-prometheus-stack names its Prometheus Service `<fullname>-prometheus` on port 9090; the release's fullname
 * is overridden to its release name (monitoring-chart.ts), as Grafana's `monitoring-grafana` relies on too.
 */
export function prometheusServiceUrl(): { url: string; port: number } {
  return {
    url: `http://${KUBE_PROMETHEUS_STACK_CHART.releaseName}-prometheus.${NAMESPACES.monitoring}.svc`,
    port: 9090,
  };
}

/** One prometheus-adapter discovery rule (https://github.com/kubernetes-sigs/prometheus-adapter/blob/master/docs/config.md). */
export interface AdapterExternalRule {
  seriesQuery: string;
  resources: { namespaced: false };
  name: { matches: string; as: string };
  metricsQuery: string;
}

export interface MediaNodesRuleInput {
  /** Namespace the meetings service runs in: only its series count. */
  servicesNamespace: string;
  /** The `service` label the meetings service stamps on its series (honorLabels keeps it). */
  service: string;
}

const LABEL_VALUE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function checkLabelValue(field: string, value: string): void {
  if (!LABEL_VALUE.test(value)) {
    throw new Error(
      `observability.metricsAdapter.${field}: expected a Kubernetes name (a-z 0-9 -), got ${JSON.stringify(value)}`,
    );
  }
}

/**
 * The External metric the LiveKit HPA scales on. `namespaced: false`: the HPA lives in `media` and the series in
 * `services`, and the adapter would otherwise add the HPA's namespace as a matcher (prometheus-adapter's
 * https://github.com/kubernetes-sigs/prometheus-adapter/blob/master/docs/externalmetrics.md, "Cross-Namespace or No
 * Namespace Queries"). The namespace and service are fixed in the
 * query instead, so nothing else exporting the name can move the fleet. Every meetings replica computes the same
 * schedule, so replicas are folded with `max`, and `window` is kept: the HPA selects one window per metric and
 * would sum several series if a selector matched more than one.
 */
export function mediaNodesNeededRule(input: MediaNodesRuleInput): AdapterExternalRule {
  checkLabelValue("servicesNamespace", input.servicesNamespace);
  checkLabelValue("service", input.service);
  const fixed = `namespace="${input.servicesNamespace}",service="${input.service}"`;
  return {
    seriesQuery: `${MEDIA_NODES_NEEDED_METRIC}{${fixed},window!=""}`,
    resources: { namespaced: false },
    name: { matches: `^${MEDIA_NODES_NEEDED_METRIC}$`, as: MEDIA_NODES_NEEDED_METRIC },
    metricsQuery: `max by (window) (<<.Series>>{${fixed},<<.LabelMatchers>>})`,
  };
}

export interface AdapterResourceRule {
  containerQuery: string;
  nodeQuery: string;
  resources: { overrides: Record<"node" | "namespace" | "pod", { resource: string }> };
  containerLabel: string;
}

/**
 * The resource metrics API (metrics.k8s.io) the CPU targets of every HPA read. DOKS does not ship metrics-server
 * (its HPA tutorial installs it from the Marketplace first: https://docs.digitalocean.com/products/kubernetes/how-to/set-up-autoscaling/),
 * and an HPA with a metric it cannot read never scales down, so the adapter serves it from the kubelet's cAdvisor
 * series kube-prometheus-stack already scrapes (the chart's own example rules: pods by container, nodes by the
 * root cgroup `id="/"`). HPAs read only the pod queries; the node ones serve `kubectl top node`.
 */
export function resourceMetricsRules(): {
  cpu: AdapterResourceRule;
  memory: AdapterResourceRule;
  window: string;
} {
  const resources = {
    overrides: { node: { resource: "node" }, namespace: { resource: "namespace" }, pod: { resource: "pod" } },
  };
  return {
    cpu: {
      containerQuery:
        'sum by (<<.GroupBy>>) (rate(container_cpu_usage_seconds_total{container!="",<<.LabelMatchers>>}[3m]))',
      nodeQuery:
        'sum by (<<.GroupBy>>) (rate(container_cpu_usage_seconds_total{id="/",<<.LabelMatchers>>}[3m]))',
      resources,
      containerLabel: "container",
    },
    memory: {
      containerQuery:
        'sum by (<<.GroupBy>>) (container_memory_working_set_bytes{container!="",<<.LabelMatchers>>})',
      nodeQuery: 'sum by (<<.GroupBy>>) (container_memory_working_set_bytes{id="/",<<.LabelMatchers>>})',
      resources,
      containerLabel: "container",
    },
    window: "3m",
  };
}

export interface MetricsAdapterValuesInput {
  highAvailability: boolean;
  externalRules: AdapterExternalRule[];
}

/**
 * Values for the pinned chart: external and resource rules only. `rules.default: false` and no custom rules, so
 * the chart registers no custom.metrics.k8s.io APIService nobody uses.
 */
export function metricsAdapterValues(input: MetricsAdapterValuesInput): Record<string, unknown> {
  const prometheus = prometheusServiceUrl();
  const replicas = input.highAvailability ? 2 : 1;
  return {
    fullnameOverride: PROMETHEUS_ADAPTER_CHART.releaseName,
    replicas,
    // A lost adapter freezes every HPA of the cluster (no scale-down while metrics are unreadable).
    podDisruptionBudget: { enabled: replicas > 1, maxUnavailable: 1 },
    priorityClassName: PRIORITY_CLASSES.platform.name,
    listenPort: METRICS_API_PORT,
    prometheus: { url: prometheus.url, port: prometheus.port, path: "" },
    // The meetings gauge is scraped every 30 s (monitoring-targets.ts); a new series is found within a minute.
    metricsRelistInterval: "1m",
    resources: { requests: { cpu: "50m", memory: "128Mi" }, limits: { memory: "256Mi" } },
    rules: {
      default: false,
      custom: [],
      external: input.externalRules,
      resource: resourceMetricsRules(),
    },
  };
}

export interface MetricsAdapterArgs {
  highAvailability: boolean;
  /** The namespace and `service` label of the meetings service's series. */
  mediaNodesSource: MediaNodesRuleInput;
  /** Prometheus must exist before the adapter can answer. */
  dependsOn: pulumi.Resource[];
}

/**
 * The metrics adapter: serves `gomeet_media_nodes_needed` from Prometheus as an External metric for the
 * LiveKit HPA (components/media/livekit-autoscaling.ts), and CPU/memory as the resource metrics API.
 */
export class MetricsAdapter extends pulumi.ComponentResource {
  readonly release: k8s.helm.v3.Release;

  constructor(name: string, args: MetricsAdapterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("gomeet:observability:MetricsAdapter", name, {}, opts);
    this.release = new k8s.helm.v3.Release(
      `${name}-prometheus-adapter`,
      {
        name: PROMETHEUS_ADAPTER_CHART.releaseName,
        chart: PROMETHEUS_ADAPTER_CHART.chart,
        version: PROMETHEUS_ADAPTER_CHART.version,
        repositoryOpts: { repo: PROMETHEUS_ADAPTER_CHART.repo },
        namespace: NAMESPACES.monitoring,
        createNamespace: false,
        atomic: true,
        cleanupOnFail: true,
        timeout: 600,
        values: metricsAdapterValues({
          highAvailability: args.highAvailability,
          externalRules: [mediaNodesNeededRule(args.mediaNodesSource)],
        }),
      },
      { parent: this, dependsOn: args.dependsOn },
    );
    this.registerOutputs({ releaseName: PROMETHEUS_ADAPTER_CHART.releaseName });
  }
}
