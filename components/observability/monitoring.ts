import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { GrafanaConfig } from "../../stacks/schema.ts";
import { NAMESPACES } from "../baseline/namespaces.ts";
import type { StackIdentity } from "../naming.ts";
import { failAs } from "../resource-error.ts";
import { ALERTMANAGER_SECRET_NAME, alertmanagerSecret } from "./alertmanager-secret.ts";
import { renderDashboardFiles } from "./dashboards/platform-dashboards.ts";
import { exporterWorkloads } from "./exporter-workloads.ts";
import { GRAFANA_OAUTH_SECRET_KEY } from "./grafana-login.ts";
import { MetricsAdapter } from "./metrics-adapter.ts";
import {
  GRAFANA_DASHBOARD_LABEL,
  KUBE_PROMETHEUS_STACK_CHART,
  monitoringValues,
} from "./monitoring-chart.ts";
import { operatorResource, platformServiceMonitors } from "./operator-resources.ts";
import { prometheusRuleGroups } from "./rules.ts";
import { uptimeChecks } from "./uptime-checks.ts";

/** Where alert annotations link to (the sections of docs/observability.md). */
export const RUNBOOK_BASE_URL = "https://github.com/gomeet/gomeet/blob/main/docs/observability.md";
/** Prometheus' job for LiveKit: the operator names PodMonitor jobs `<namespace>/<name>` (media's PodMonitor). */
export const LIVEKIT_SCRAPE_JOB = `${NAMESPACES.media}/livekit`;
/** node-exporter job of the TURN droplets (scraped by address; see docs/observability.md). */
export const TURN_NODE_JOB = "turn-nodes";

export interface MonitoringArgs {
  identity: StackIdentity;
  environment: string;
  domain: string;
  monitoring: {
    retention: string;
    storageGi: number;
    alertEmails: string[];
    slackChannel: string;
    smtp: { smarthost: string; from: string };
    uptimeChecks: boolean;
  };
  highAvailability: boolean;
  mediaNode: { vcpus: number; nicGbps: number };
  /** postgres.js `max` each service replica runs with (the pool alerts' 100%). */
  postgresPoolMaxPerReplica: number;
  /**
   * Connection strings of the managed databases for the exporters (secret): PostgreSQL's is the read-only
   * monitoring user's (components/data/postgres.ts), never a service's.
   */
  postgresUri: pulumi.Output<string>;
  valkeyUri: pulumi.Output<string>;
  /** Grafana sign-in, and the OAuth client secret (`gomeet:grafanaOAuthClientSecret`) when the stack has one. */
  grafana: { login: GrafanaConfig["login"]; oauthClientSecret: pulumi.Output<string> | undefined };
  alertSlackWebhookUrl: pulumi.Output<string> | undefined;
  baseline: pulumi.Resource[];
}

/**
 * Monitoring of the platform: kube-prometheus-stack (Prometheus, Alertmanager, Grafana, kube-state-metrics,
 * node-exporter) with the platform's own rules, dashboards, alert routing and scrape targets, exporters for the
 * managed databases, and DigitalOcean uptime checks on the public endpoints. Everything authored here is
 * rendered by the pure renderers beside this file; secrets reach the cluster only inside Secrets.
 *
 * This file holds the release, Grafana's Secrets, the dashboards and the rules. Alert routing
 * (alertmanager-secret.ts), the other components' ServiceMonitors (operator-resources.ts), the exporters
 * (exporter-workloads.ts) and the uptime checks (uptime-checks.ts) have modules of their own; what they create is
 * still parented to this component, so names and URNs do not depend on where the code lives.
 */
export class Monitoring extends pulumi.ComponentResource {
  readonly grafanaAdminPassword: pulumi.Output<string>;
  readonly release: k8s.helm.v3.Release;
  /** Serves the HPAs' External (gomeet_media_nodes_needed) and resource metrics from Prometheus. */
  readonly metricsAdapter: MetricsAdapter;

  constructor(name: string, args: MonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
    super("gomeet:observability:Monitoring", name, {}, opts);
    const ns = NAMESPACES.monitoring;
    const child = { parent: this, dependsOn: args.baseline };

    const password = new random.RandomPassword(
      `${name}-grafana-admin`,
      { length: 32, special: false },
      { parent: this },
    );
    this.grafanaAdminPassword = pulumi.secret(password.result);
    const grafanaSecret = new k8s.core.v1.Secret(
      `${name}-grafana-admin`,
      {
        metadata: { name: "grafana-admin", namespace: ns },
        type: "Opaque",
        stringData: { "admin-user": "admin", "admin-password": this.grafanaAdminPassword },
      },
      child,
    );

    const releaseDeps: pulumi.Resource[] = [grafanaSecret];
    let grafanaOAuthSecret: string | undefined;
    if (args.grafana.oauthClientSecret) {
      grafanaOAuthSecret = "grafana-oauth";
      releaseDeps.push(
        new k8s.core.v1.Secret(
          `${name}-grafana-oauth`,
          {
            metadata: { name: grafanaOAuthSecret, namespace: ns },
            type: "Opaque",
            stringData: { [GRAFANA_OAUTH_SECRET_KEY]: pulumi.secret(args.grafana.oauthClientSecret) },
          },
          child,
        ),
      );
    }
    const alertmanagerConfig = alertmanagerSecret(
      name,
      {
        namespace: ns,
        channels: {
          emails: args.monitoring.alertEmails,
          slackChannel: args.monitoring.slackChannel,
          smtp: args.monitoring.smtp,
        },
        slackWebhookUrl: args.alertSlackWebhookUrl,
      },
      child,
    );
    if (alertmanagerConfig) releaseDeps.push(alertmanagerConfig);

    this.release = new k8s.helm.v3.Release(
      `${name}-kube-prometheus-stack`,
      {
        name: KUBE_PROMETHEUS_STACK_CHART.releaseName,
        chart: KUBE_PROMETHEUS_STACK_CHART.chart,
        version: KUBE_PROMETHEUS_STACK_CHART.version,
        repositoryOpts: { repo: KUBE_PROMETHEUS_STACK_CHART.repo },
        namespace: ns,
        createNamespace: false,
        atomic: true,
        cleanupOnFail: true,
        timeout: 900,
        values: failAs(this, () =>
          monitoringValues({
            retention: args.monitoring.retention,
            storageGi: args.monitoring.storageGi,
            grafanaAdminSecret: "grafana-admin",
            alertmanagerConfigSecret: alertmanagerConfig ? ALERTMANAGER_SECRET_NAME : undefined,
            grafanaHost: `grafana.${args.domain}`,
            grafanaLogin: args.grafana.login,
            grafanaOAuthSecret,
            highAvailability: args.highAvailability,
          }),
        ),
      },
      { parent: this, dependsOn: [...args.baseline, ...releaseDeps] },
    );
    const afterRelease = { parent: this, dependsOn: [this.release] };

    this.metricsAdapter = new MetricsAdapter(
      `${name}-metrics-adapter`,
      {
        highAvailability: args.highAvailability,
        mediaNodesSource: { servicesNamespace: NAMESPACES.services, service: "meetings" },
        dependsOn: [...args.baseline, this.release],
      },
      { parent: this },
    );

    const dashboards = failAs(this, () =>
      renderDashboardFiles({
        livekitJob: LIVEKIT_SCRAPE_JOB,
        turnNodeJob: TURN_NODE_JOB,
        mediaNode: args.mediaNode,
      }),
    );
    for (const [file, json] of Object.entries(dashboards)) {
      const uid = file.replace(/\.json$/, "");
      new k8s.core.v1.ConfigMap(
        `${name}-dashboard-${uid}`,
        {
          metadata: { name: `dashboard-${uid}`, namespace: ns, labels: { ...GRAFANA_DASHBOARD_LABEL } },
          data: { [file]: json },
        },
        child,
      );
    }

    operatorResource(
      name,
      "rules",
      {
        kind: "PrometheusRule",
        namespace: ns,
        name: "gomeet",
        spec: {
          groups: failAs(this, () =>
            prometheusRuleGroups({
              environment: args.environment,
              runbookBaseUrl: RUNBOOK_BASE_URL,
              jobs: { livekit: LIVEKIT_SCRAPE_JOB },
              watchedNamespaces: [
                NAMESPACES.gateway,
                NAMESPACES.services,
                NAMESPACES.media,
                NAMESPACES.certManager,
              ],
              mediaNode: args.mediaNode,
              postgres: { poolMaxPerReplica: args.postgresPoolMaxPerReplica },
            }),
          ),
        },
      },
      afterRelease,
    );
    platformServiceMonitors(name, afterRelease);
    exporterWorkloads(
      name,
      { namespace: ns, connections: { postgres: args.postgresUri, redis: args.valkeyUri } },
      { workload: child, monitor: afterRelease },
    );
    if (args.monitoring.uptimeChecks) {
      uptimeChecks(
        name,
        {
          identity: args.identity,
          domain: args.domain,
          alertEmails: args.monitoring.alertEmails,
          slackChannel: args.monitoring.slackChannel,
          slackWebhookUrl: args.alertSlackWebhookUrl,
        },
        this,
      );
    }
    this.registerOutputs({ grafanaAdminPassword: this.grafanaAdminPassword });
  }
}
