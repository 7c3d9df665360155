import * as digitalocean from "@pulumi/digitalocean";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { GrafanaConfig } from "../../stacks/schema.ts";
import { SERVICE_NAMES } from "../apps/service-registry.ts";
import { NAMESPACES } from "../baseline/namespaces.ts";
import { resourceName, type StackIdentity } from "../naming.ts";
import { type AlertChannels, alertmanagerInputFromChannels } from "./alert-receivers.ts";
import { renderAlertmanagerConfig } from "./alertmanager.ts";
import { renderDashboardFiles } from "./dashboards/platform-dashboards.ts";
import { EXPORTERS, exporterDeploymentSpec } from "./exporters.ts";
import { GRAFANA_OAUTH_SECRET_KEY } from "./grafana-login.ts";
import { MetricsAdapter } from "./metrics-adapter.ts";
import {
  GRAFANA_DASHBOARD_LABEL,
  KUBE_PROMETHEUS_STACK_CHART,
  monitoringValues,
} from "./monitoring-chart.ts";
import {
  certManagerMonitorSpec,
  serviceMonitorSpec,
  traefikMonitorSpec,
  uptimeTargets,
} from "./monitoring-targets.ts";
import { prometheusRuleGroups } from "./rules.ts";

/** A well-formed Slack webhook the config is rendered with; the stack's own URL replaces it afterwards. */
const SLACK_WEBHOOK_STANDIN = "https://hooks.slack.com/services/T00000000/B00000000/gomeet-standin";

/**
 * Renders alertmanager.yml with the stack's Slack webhook. The renderer validates everything else; the webhook
 * is a secret the offline plan only knows as a placeholder, so it is substituted after rendering (Alertmanager
 * itself refuses a config whose api_url is not a URL, and input errors must never echo the secret).
 */
function renderWithSlackWebhook(
  channels: Omit<AlertChannels, "slackWebhookUrl">,
  slackWebhookUrl: string | undefined,
): string {
  const input = alertmanagerInputFromChannels({
    ...channels,
    slackWebhookUrl: slackWebhookUrl === undefined ? undefined : SLACK_WEBHOOK_STANDIN,
  });
  if (!input) return "";
  const rendered = renderAlertmanagerConfig(input);
  if (slackWebhookUrl === undefined) return rendered;
  return rendered.split(SLACK_WEBHOOK_STANDIN).join(slackWebhookUrl);
}

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

    const channels = {
      emails: args.monitoring.alertEmails,
      slackChannel: args.monitoring.slackChannel,
      smtp: args.monitoring.smtp,
    };
    // Whether there is any receiver is known without the webhook's value: it is set or not.
    const hasReceivers =
      alertmanagerInputFromChannels({
        ...channels,
        slackWebhookUrl: args.alertSlackWebhookUrl ? "https://set" : undefined,
      }) !== undefined;
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
    let alertmanagerSecretName: string | undefined;
    if (hasReceivers) {
      alertmanagerSecretName = "alertmanager-gomeet";
      const config = pulumi
        .output(args.alertSlackWebhookUrl)
        .apply((slackWebhookUrl) => renderWithSlackWebhook(channels, slackWebhookUrl));
      releaseDeps.push(
        new k8s.core.v1.Secret(
          `${name}-alertmanager-config`,
          {
            metadata: { name: alertmanagerSecretName, namespace: ns },
            type: "Opaque",
            stringData: { "alertmanager.yaml": pulumi.secret(config) },
          },
          child,
        ),
      );
    } else {
      pulumi.log.info(
        "no alert receivers (monitoring.alertEmails, gomeet:alertSlackWebhookUrl): Alertmanager is off",
        this,
      );
    }

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
        values: monitoringValues({
          retention: args.monitoring.retention,
          storageGi: args.monitoring.storageGi,
          grafanaAdminSecret: "grafana-admin",
          alertmanagerConfigSecret: alertmanagerSecretName,
          grafanaHost: `grafana.${args.domain}`,
          grafanaLogin: args.grafana.login,
          grafanaOAuthSecret,
          highAvailability: args.highAvailability,
        }),
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

    const dashboards = renderDashboardFiles({
      livekitJob: LIVEKIT_SCRAPE_JOB,
      turnNodeJob: TURN_NODE_JOB,
      mediaNode: args.mediaNode,
    });
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

    const custom = (resource: string, kind: string, namespace: string, metadataName: string, spec: unknown) =>
      new k8s.apiextensions.CustomResource(
        `${name}-${resource}`,
        { apiVersion: "monitoring.coreos.com/v1", kind, metadata: { name: metadataName, namespace }, spec },
        afterRelease,
      );
    custom("rules", "PrometheusRule", ns, "gomeet", {
      groups: prometheusRuleGroups({
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
    });
    for (const service of SERVICE_NAMES) {
      custom(
        `servicemonitor-${service}`,
        "ServiceMonitor",
        NAMESPACES.services,
        service,
        serviceMonitorSpec(service),
      );
    }
    custom(
      "servicemonitor-cert-manager",
      "ServiceMonitor",
      NAMESPACES.certManager,
      "cert-manager",
      certManagerMonitorSpec(),
    );
    custom("servicemonitor-traefik", "ServiceMonitor", NAMESPACES.gateway, "traefik", traefikMonitorSpec());

    const connections = { postgres: args.postgresUri, redis: args.valkeyUri };
    for (const [key, exporter] of Object.entries(EXPORTERS) as [
      keyof typeof EXPORTERS,
      (typeof EXPORTERS)[keyof typeof EXPORTERS],
    ][]) {
      const labels = { "app.kubernetes.io/name": exporter.name };
      new k8s.core.v1.Secret(
        `${name}-${exporter.name}-connection`,
        {
          metadata: { name: `${exporter.name}-connection`, namespace: ns },
          type: "Opaque",
          stringData: { [exporter.secretKey]: pulumi.secret(connections[key]) },
        },
        child,
      );
      new k8s.apps.v1.Deployment(
        `${name}-${exporter.name}`,
        {
          metadata: { name: exporter.name, namespace: ns, labels },
          spec: exporterDeploymentSpec(exporter, `${exporter.name}-connection`),
        },
        child,
      );
      new k8s.core.v1.Service(
        `${name}-${exporter.name}-service`,
        {
          metadata: { name: exporter.name, namespace: ns, labels },
          spec: {
            selector: labels,
            ports: [{ name: "metrics", port: exporter.port, targetPort: "metrics" }],
          },
        },
        child,
      );
      custom(`servicemonitor-${exporter.name}`, "ServiceMonitor", ns, exporter.name, {
        selector: { matchLabels: labels },
        endpoints: [{ port: "metrics", path: "/metrics", interval: "30s" }],
      });
    }

    if (args.monitoring.uptimeChecks) this.uptime(name, args);
    this.registerOutputs({ grafanaAdminPassword: this.grafanaAdminPassword });
  }

  /**
   * DigitalOcean uptime checks from three continents, with alerts to the stack's channels. Mail and Slack get
   * separate alerts: a Slack webhook makes its whole notification list secret, and the mailbox must stay
   * readable in plans. Down and certificate expiry go to both, latency to one: five alerts, DigitalOcean's
   * limit per check (docs/sources.md#monitoring-and-uptime-checks).
   */
  private uptime(name: string, args: MonitoringArgs): void {
    const channels: { channel: string; notification: digitalocean.types.input.UptimeAlertNotification }[] =
      [];
    if (args.monitoring.alertEmails.length > 0) {
      channels.push({ channel: "email", notification: { emails: args.monitoring.alertEmails } });
    }
    if (args.alertSlackWebhookUrl) {
      const slack = { channel: args.monitoring.slackChannel, url: pulumi.secret(args.alertSlackWebhookUrl) };
      channels.push({ channel: "slack", notification: { slacks: [slack] } });
    }
    const alerts = [
      { kind: "down", type: "down_global", period: "2m", channels },
      {
        kind: "ssl-expiry",
        type: "ssl_expiry",
        comparison: "less_than",
        threshold: 14,
        period: "2m",
        channels,
      },
      {
        kind: "latency",
        type: "latency",
        comparison: "greater_than",
        threshold: 2000,
        period: "5m",
        channels: channels.slice(0, 1),
      },
    ];
    for (const { name: endpoint, target } of uptimeTargets(args.domain)) {
      const check = new digitalocean.UptimeCheck(
        `${name}-uptime-${endpoint}`,
        {
          name: resourceName(args.identity, "uptime", endpoint),
          target,
          type: "https",
          // API enum values (docs/sources.md#digitalocean-api-enum-values): snake_case, not the SDK docs' camelCase.
          regions: ["se_asia", "us_east", "eu_west"],
          enabled: true,
        },
        { parent: this },
      );
      for (const alert of alerts) {
        for (const { channel, notification } of alert.channels) {
          new digitalocean.UptimeAlert(
            `${name}-uptime-${endpoint}-${alert.kind}-${channel}`,
            {
              checkId: check.id,
              name: resourceName(args.identity, endpoint, alert.kind, channel),
              type: alert.type,
              period: alert.period,
              ...(alert.comparison && { comparison: alert.comparison }),
              ...(alert.threshold !== undefined && { threshold: alert.threshold }),
              notifications: [notification],
            },
            { parent: check },
          );
        }
      }
    }
  }
}
