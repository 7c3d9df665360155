import { type AlertRule, alertRule, percent, promNumber } from "./alert-rule.ts";
import type { PrometheusRulesSettings } from "./rules.ts";

const DAY_SECONDS = 86_400;

/**
 * Platform health alerts: certificates (cert-manager), crash-looping pods (kube-state-metrics) and Postgres
 * connections (the services' own pool gauge, and postgres_exporter for the server-side limit). Exporter
 * metric names and their sources are listed in exporter-metrics.ts.
 */
export function platformAlerts(settings: PrometheusRulesSettings): AlertRule[] {
  const context = settings;
  const { warningDays, criticalDays } = settings.certificates;
  const certificateSecondsLeft =
    "min by (namespace, name) (certmanager_certificate_expiration_timestamp_seconds) - time()";
  const namespaces = settings.watchedNamespaces.join("|");
  const { poolMaxPerReplica, pool } = settings.postgres;
  // Active connections are the busy ones; when they reach postgres.js' `max`, queries queue in the service.
  const poolShare = `max by (service, instance) (gomeet_db_pool_connections{state="active"}) / ${promNumber(poolMaxPerReplica)}`;

  const certificateText = (days: number) => ({
    summary: `Certificate {{ $labels.namespace }}/{{ $labels.name }} expires in under ${days} days`,
    description: `cert-manager reports that {{ $labels.namespace }}/{{ $labels.name }} expires in less than ${days} days. cert-manager renews Let's Encrypt certificates well before this, so renewal is failing: check the Certificate's events and the DNS-01 solver.`,
  });
  const poolText = (ratio: number) => ({
    summary: `{{ $labels.service }} uses over ${percent(ratio)} of its Postgres pool`,
    description: `A replica of {{ $labels.service }} ({{ $labels.instance }}) holds more than ${percent(ratio)} of its ${poolMaxPerReplica} pool connections busy; requests will queue for a connection.`,
  });

  return [
    alertRule(
      context,
      "CertificateExpiringSoon",
      "warning",
      `${certificateSecondsLeft} < ${promNumber(warningDays * DAY_SECONDS)}`,
      "1h",
      certificateText(warningDays),
    ),
    alertRule(
      context,
      "CertificateExpiringSoon",
      "critical",
      `${certificateSecondsLeft} < ${promNumber(criticalDays * DAY_SECONDS)}`,
      "10m",
      certificateText(criticalDays),
    ),
    alertRule(
      context,
      "PodCrashLooping",
      "warning",
      // max_over_time: the waiting reason flips between CrashLoopBackOff and running on every restart.
      `max by (namespace, pod, container) (max_over_time(kube_pod_container_status_waiting_reason{reason="CrashLoopBackOff", namespace=~"${namespaces}"}[5m])) >= 1`,
      "10m",
      {
        summary:
          "Container {{ $labels.namespace }}/{{ $labels.pod }}/{{ $labels.container }} is crash-looping",
        description:
          "Kubernetes has been backing off restarts of {{ $labels.container }} in {{ $labels.namespace }}/{{ $labels.pod }} for 10 minutes.",
      },
    ),
    alertRule(
      context,
      "PostgresPoolNearLimit",
      "warning",
      `${poolShare} > ${promNumber(pool.warning)}`,
      "10m",
      poolText(pool.warning),
    ),
    alertRule(
      context,
      "PostgresPoolNearLimit",
      "critical",
      `${poolShare} > ${promNumber(pool.critical)}`,
      "5m",
      poolText(pool.critical),
    ),
    alertRule(
      context,
      "PostgresConnectionsNearLimit",
      "warning",
      `sum(pg_stat_activity_count) / max(pg_settings_max_connections) > ${promNumber(settings.postgres.serverConnectionsRatio)}`,
      "10m",
      {
        summary: `Postgres uses over ${percent(settings.postgres.serverConnectionsRatio)} of max_connections`,
        description: `The database server has more than ${percent(settings.postgres.serverConnectionsRatio)} of its max_connections open; new service replicas or migrations may be refused.`,
      },
    ),
  ];
}
