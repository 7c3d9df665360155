import { type GrafanaDashboard, grafanaDashboard } from "./grafana-model.ts";

const SLO_P99_SECONDS = 0.1;

/**
 * Control-plane services (auth, meetings, chat): traffic, errors, p99 latency against the 100 ms SLO
 * (docs/observability.md#slos), chat WebSockets and the security counters. Every name is from docs/metrics.md;
 * `service` is the label the shared kit puts on every series.
 */
export function servicesDashboard(): GrafanaDashboard {
  return grafanaDashboard(
    {
      uid: "gomeet-services",
      title: "GoMeet / Services",
      description:
        "Request rate, error rate, p99 latency and WebSocket connections of auth, meetings and chat.",
      tags: ["services"],
    },
    [
      {
        type: "timeseries",
        title: "Request rate",
        description: "Requests answered per second, by service.",
        unit: "reqps",
        queries: [{ expr: "sum by (service) (rate(gomeet_http_requests_total[5m]))", legend: "{{service}}" }],
      },
      {
        type: "timeseries",
        title: "5xx error rate",
        description: "Share of requests answered with a 5xx status; the alert fires above 1%.",
        unit: "percentunit",
        min: 0,
        queries: [
          {
            expr: 'sum by (service) (rate(gomeet_http_requests_total{status=~"5.."}[5m])) / sum by (service) (rate(gomeet_http_requests_total[5m]))',
            legend: "{{service}}",
          },
        ],
      },
      {
        type: "timeseries",
        title: "p99 latency",
        description: `99th percentile request latency by service; the SLO line is ${SLO_P99_SECONDS * 1000} ms.`,
        unit: "s",
        min: 0,
        queries: [
          {
            expr: "histogram_quantile(0.99, sum by (service, le) (rate(gomeet_http_request_duration_seconds_bucket[5m])))",
            legend: "{{service}}",
          },
          { expr: `vector(${SLO_P99_SECONDS})`, legend: "SLO" },
        ],
      },
      {
        type: "timeseries",
        title: "p99 latency by route",
        description: "The slowest routes, to find which handler spends the latency budget.",
        unit: "s",
        min: 0,
        queries: [
          {
            expr: "topk(10, histogram_quantile(0.99, sum by (service, route, le) (rate(gomeet_http_request_duration_seconds_bucket[5m]))))",
            legend: "{{service}} {{route}}",
          },
        ],
      },
      {
        type: "timeseries",
        title: "Chat WebSocket connections",
        description: "Open chat WebSockets, summed over replicas.",
        unit: "short",
        queries: [{ expr: "sum by (service) (gomeet_ws_connections)", legend: "{{service}}" }],
      },
      {
        type: "timeseries",
        title: "Meeting joins by outcome",
        description:
          "Join attempts per second; `error` counts against the join SLO, `full` and `denied` do not.",
        unit: "ops",
        queries: [{ expr: "sum by (outcome) (rate(gomeet_meeting_joins_total[5m]))", legend: "{{outcome}}" }],
      },
      {
        type: "timeseries",
        title: "Security signals",
        description: "Failed logins, 401/403 refusals and rate-limit refusals per minute.",
        unit: "short",
        width: 24,
        queries: [
          {
            expr: "sum by (reason) (rate(gomeet_auth_login_failures_total[5m])) * 60",
            legend: "failed login {{reason}}",
          },
          {
            expr: "sum by (service, status) (rate(gomeet_auth_denied_total[5m])) * 60",
            legend: "{{status}} {{service}}",
          },
          {
            expr: "sum by (service, limiter) (rate(gomeet_rate_limited_total[5m])) * 60",
            legend: "429 {{service}} {{limiter}}",
          },
        ],
      },
    ],
  );
}
