import type { GrafanaConfig } from "../../stacks/schema.ts";
import { NAMESPACES } from "../baseline/namespaces.ts";
import { PRIORITY_CLASSES } from "../baseline/priority-classes.ts";
import { grafanaLoginValues } from "./grafana-login.ts";

/**
 * kube-prometheus-stack, pinned: chart 88.5.3 (prometheus-operator v0.93.1) of prometheus-community/helm-charts
 * `charts/kube-prometheus-stack`, with its own sub-charts (CRDs, kube-state-metrics, node-exporter, Grafana). The
 * release is named `monitoring`, so Grafana's Service is `monitoring-grafana` (the route in
 * components/gateway/routes.ts points at it).
 */
export const KUBE_PROMETHEUS_STACK_CHART = {
  chart: "kube-prometheus-stack",
  version: "88.5.3",
  repo: "https://prometheus-community.github.io/helm-charts",
  releaseName: "monitoring",
} as const;

/** Prometheus servers (a StatefulSet of the operator): two on HA stacks, so one may restart during a rollout. */
export function prometheusReplicas(highAvailability: boolean): number {
  return highAvailability ? 2 : 1;
}

/**
 * Prometheus' own resources. Without them it takes the monitoring namespace's LimitRange default (256Mi) and is
 * OOM-killed while loading its WAL — and the LiveKit autoscaler reads its External metric through Prometheus.
 * Production holds ~30 days of a 100-node fleet; the memory limit leaves room for compaction and query bursts.
 */
export function prometheusResources(highAvailability: boolean): {
  requests: { cpu: string; memory: string };
  limits: { cpu: string; memory: string };
} {
  return highAvailability
    ? { requests: { cpu: "1000m", memory: "4Gi" }, limits: { cpu: "2000m", memory: "8Gi" } }
    : { requests: { cpu: "250m", memory: "1Gi" }, limits: { cpu: "1000m", memory: "2Gi" } };
}

/** Label and value Grafana's dashboard sidecar watches for (kube-prometheus-stack `grafana.sidecar.dashboards`). */
export const GRAFANA_DASHBOARD_LABEL = { grafana_dashboard: "1" } as const;

export interface MonitoringValuesInput {
  retention: string;
  storageGi: number;
  /** Secret holding Grafana's admin user and password (keys `admin-user`, `admin-password`). */
  grafanaAdminSecret: string;
  /** Secret holding `alertmanager.yaml`; undefined when the stack has no alert receivers. */
  alertmanagerConfigSecret: string | undefined;
  grafanaHost: string;
  /** How users sign in to Grafana (components/observability/grafana-login.ts). */
  grafanaLogin: GrafanaConfig["login"];
  /** Secret holding the OAuth client secret; undefined when the stack has none (Grafana not routed publicly). */
  grafanaOAuthSecret: string | undefined;
  highAvailability: boolean;
}

/**
 * Values for the pinned chart. Selectors are opened (`…SelectorNilUsesHelmValues: false`) so Prometheus picks up
 * the PrometheusRule, ServiceMonitors and PodMonitors other components declare without the release's label.
 * Secrets never pass through these values: Grafana reads its admin password from a Secret and the operator
 * mounts Alertmanager's configuration from another (`configSecret`).
 */
export function monitoringValues(input: MonitoringValuesInput): Record<string, unknown> {
  const replicas = prometheusReplicas(input.highAvailability);
  const login = grafanaLoginValues(input.grafanaLogin, input.grafanaOAuthSecret);
  return {
    fullnameOverride: KUBE_PROMETHEUS_STACK_CHART.releaseName,
    global: { priorityClassName: PRIORITY_CLASSES.platform.name },
    prometheus: {
      prometheusSpec: {
        retention: input.retention,
        replicas,
        resources: prometheusResources(input.highAvailability),
        priorityClassName: PRIORITY_CLASSES.platform.name,
        ruleSelectorNilUsesHelmValues: false,
        serviceMonitorSelectorNilUsesHelmValues: false,
        podMonitorSelectorNilUsesHelmValues: false,
        storageSpec: {
          volumeClaimTemplate: {
            spec: {
              // DOKS' CSI block storage class (docs/sources.md#volumes).
              storageClassName: "do-block-storage",
              accessModes: ["ReadWriteOnce"],
              resources: { requests: { storage: `${input.storageGi}Gi` } },
            },
          },
        },
      },
    },
    alertmanager: input.alertmanagerConfigSecret
      ? {
          enabled: true,
          alertmanagerSpec: {
            replicas,
            configSecret: input.alertmanagerConfigSecret,
            priorityClassName: PRIORITY_CLASSES.platform.name,
          },
        }
      : { enabled: false },
    grafana: {
      admin: {
        existingSecret: input.grafanaAdminSecret,
        userKey: "admin-user",
        passwordKey: "admin-password",
      },
      "grafana.ini": {
        server: { root_url: `https://${input.grafanaHost}` },
        ...login.ini,
      },
      envValueFrom: login.envValueFrom,
      sidecar: {
        dashboards: {
          enabled: true,
          label: Object.keys(GRAFANA_DASHBOARD_LABEL)[0],
          labelValue: Object.values(GRAFANA_DASHBOARD_LABEL)[0],
        },
      },
      priorityClassName: PRIORITY_CLASSES.platform.name,
    },
    // node-exporter needs host namespaces; its namespace alone is privileged (components/baseline/namespaces.ts).
    "prometheus-node-exporter": { namespaceOverride: NAMESPACES.nodeMetrics },
    prometheusOperator: { priorityClassName: PRIORITY_CLASSES.platform.name },
  };
}
