import type { GrafanaConfig } from "../../stacks/schema.ts";
import { NAMESPACES } from "../baseline/namespaces.ts";
import { PRIORITY_CLASSES } from "../baseline/priority-classes.ts";
import { grafanaLoginValues } from "./grafana-login.ts";

/**
 * kube-prometheus-stack, pinned: release tag kube-prometheus-stack-79.1.1 of prometheus-community/helm-charts
 * (release notes quoted in walnuts1018/infra PR #2742, 2025-10-27). The release is named `monitoring`, so
 * Grafana's Service is `monitoring-grafana` (the route in components/gateway/routes.ts points at it).
 */
export const KUBE_PROMETHEUS_STACK_CHART = {
  chart: "kube-prometheus-stack",
  version: "79.1.1",
  repo: "https://prometheus-community.github.io/helm-charts",
  releaseName: "monitoring",
} as const;

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
  const replicas = input.highAvailability ? 2 : 1;
  const login = grafanaLoginValues(input.grafanaLogin, input.grafanaOAuthSecret);
  return {
    fullnameOverride: KUBE_PROMETHEUS_STACK_CHART.releaseName,
    global: { priorityClassName: PRIORITY_CLASSES.platform.name },
    prometheus: {
      prometheusSpec: {
        retention: input.retention,
        replicas,
        priorityClassName: PRIORITY_CLASSES.platform.name,
        ruleSelectorNilUsesHelmValues: false,
        serviceMonitorSelectorNilUsesHelmValues: false,
        podMonitorSelectorNilUsesHelmValues: false,
        storageSpec: {
          volumeClaimTemplate: {
            spec: {
              // DOKS' CSI block storage class (digitalocean.md §5 Volumes).
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
