import { type GrafanaDashboard, grafanaDashboard } from "./grafana-model.ts";

/**
 * Postgres and Valkey connections: the services' own pool gauge (docs/metrics.md) next to the servers'
 * view from postgres_exporter and redis_exporter (names and sources in ../exporter-metrics.ts).
 */
export function dataStoresDashboard(): GrafanaDashboard {
  return grafanaDashboard(
    {
      uid: "gomeet-data-stores",
      title: "GoMeet / Postgres and Valkey",
      description: "Connections to the managed Postgres and Valkey, from the clients' and the servers' side.",
      tags: ["postgres", "valkey"],
    },
    [
      {
        type: "timeseries",
        title: "Service pool connections",
        description:
          "postgres.js connections by service and state; active near the pool max means queries queue.",
        unit: "short",
        queries: [
          { expr: "sum by (service, state) (gomeet_db_pool_connections)", legend: "{{service}} {{state}}" },
        ],
      },
      {
        type: "timeseries",
        title: "Postgres server connections",
        description: "Backends by state against max_connections.",
        unit: "short",
        queries: [
          { expr: "sum by (state) (pg_stat_activity_count)", legend: "{{state}}" },
          { expr: "max(pg_settings_max_connections)", legend: "max_connections" },
        ],
      },
      {
        type: "timeseries",
        title: "Valkey clients",
        description: "Clients connected to Valkey (LiveKit routing and the services) against maxclients.",
        unit: "short",
        queries: [
          { expr: "sum by (instance) (redis_connected_clients)", legend: "{{instance}}" },
          { expr: "max(redis_config_maxclients)", legend: "maxclients" },
        ],
      },
      {
        type: "stat",
        title: "Postgres connections used",
        description: "Share of max_connections in use.",
        unit: "percentunit",
        queries: [{ expr: "sum(pg_stat_activity_count) / max(pg_settings_max_connections)", legend: "used" }],
      },
      {
        type: "stat",
        title: "Valkey clients used",
        description: "Share of maxclients in use.",
        unit: "percentunit",
        queries: [{ expr: "sum(redis_connected_clients) / max(redis_config_maxclients)", legend: "used" }],
      },
    ],
  );
}
