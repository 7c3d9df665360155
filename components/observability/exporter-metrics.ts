/**
 * Metric names that rules and dashboards read from third-party exporters, each with where the name comes
 * from. Names from docs/metrics.md (our services and TURN prober) and from livekit-server's own `/metrics`
 * are not listed here: the tests read those from the contract file and from a running livekit-server.
 */
export interface ExporterMetric {
  name: string;
  exporter:
    | "prometheus"
    | "kube-state-metrics"
    | "node-exporter"
    | "cert-manager"
    | "postgres_exporter"
    | "redis_exporter";
  type: "counter" | "gauge";
  source: string;
}

export const EXPORTER_METRICS: readonly ExporterMetric[] = [
  {
    name: "up",
    exporter: "prometheus",
    type: "gauge",
    source:
      "Prometheus adds `up` to every scrape target itself: https://prometheus.io/docs/concepts/jobs_instances/ (Automatically generated labels and time series)",
  },
  {
    name: "kube_pod_container_status_waiting_reason",
    exporter: "kube-state-metrics",
    type: "gauge",
    source:
      "https://github.com/kubernetes/kube-state-metrics/blob/main/docs/metrics/workload/pod-metrics.md (labels container, pod, namespace, reason)",
  },
  {
    name: "node_network_transmit_bytes_total",
    exporter: "node-exporter",
    type: "counter",
    source:
      "prometheus/node_exporter collector/netdev_linux.go (device label); checked against the real binary when installed",
  },
  {
    name: "node_network_receive_bytes_total",
    exporter: "node-exporter",
    type: "counter",
    source:
      "prometheus/node_exporter collector/netdev_linux.go (device label); checked against the real binary when installed",
  },
  {
    name: "certmanager_certificate_expiration_timestamp_seconds",
    exporter: "cert-manager",
    type: "gauge",
    source:
      "cert-manager/cert-manager pkg/metrics/metrics.go (labels name, namespace, issuer_name, issuer_kind, issuer_group)",
  },
  {
    name: "pg_stat_activity_count",
    exporter: "postgres_exporter",
    type: "gauge",
    source:
      "prometheus-community/postgres_exporter cmd/postgres_exporter/postgres_exporter.go builtinMetricMaps pg_stat_activity.count (labels datname, state)",
  },
  {
    name: "pg_settings_max_connections",
    exporter: "postgres_exporter",
    type: "gauge",
    source:
      "prometheus-community/postgres_exporter cmd/postgres_exporter/pg_setting.go (every pg_settings row as pg_settings_<name>)",
  },
  {
    name: "redis_connected_clients",
    exporter: "redis_exporter",
    type: "gauge",
    source:
      "oliver006/redis_exporter exporter/exporter.go metricMapGauges connected_clients (works against Valkey)",
  },
  {
    name: "redis_config_maxclients",
    exporter: "redis_exporter",
    type: "gauge",
    source: 'oliver006/redis_exporter exporter/exporter.go extractConfigMetrics ("config_" + maxclients)',
  },
];
