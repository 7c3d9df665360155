import type { Severity } from "../../components/observability/alert-rule.ts";
import type { PrometheusRulesSettings } from "../../components/observability/rules.ts";

/**
 * Input series for promtool's rule unit tests, one scenario per situation an operator cares about. Values
 * derive from the validated rule settings, so the same scenarios hold staging and production rules to their
 * own thresholds. Series use promtool's expanding notation ('a+bxN': start at a, add b each interval, N steps);
 * the test interval is 1m, so a counter step is "per minute".
 */
export interface RuleScenario {
  name: string;
  alertname: string;
  series: { series: string; values: string }[];
  /** At each eval time, the exact set of firing alerts of `alertname` (pending ones are not listed). */
  expect: { at: string; firing: { severity: Severity; labels: Record<string, string> }[] }[];
}

const counter = (perMinute: number, steps = 60) => `0+${perMinute}x${steps}`;
const gauge = (value: number, steps = 60) => `${value}x${steps}`;
/** Alternates 1 and 0, like kube-state-metrics' waiting reason while Kubernetes restarts a container. */
const flapping = (steps: number) =>
  Array.from({ length: steps }, (_, i) => (i % 2 === 0 ? "1" : "0")).join(" ");

function latencyBuckets(service: string, fractionUnder100ms: number): RuleScenario["series"] {
  const selector = (le: string) =>
    `gomeet_http_request_duration_seconds_bucket{service="${service}", method="GET", route="/v1/meetings/:id", le="${le}"}`;
  const perMinute = 600;
  return [
    { series: selector("0.05"), values: counter(perMinute * fractionUnder100ms * 0.5) },
    { series: selector("0.1"), values: counter(perMinute * fractionUnder100ms) },
    { series: selector("0.25"), values: counter(perMinute) },
    { series: selector("+Inf"), values: counter(perMinute) },
  ];
}

export function ruleScenarios(settings: PrometheusRulesSettings): RuleScenario[] {
  const job = settings.jobs.livekit;
  const node = "10.10.0.5:6789";
  const { vcpus, nicGbps, cpu, bandwidth } = settings.mediaNode;
  const between = (low: number, high: number) => (low + high) / 2;
  const cpuSeries = (share: number) => [
    {
      series: `process_cpu_seconds_total{job="${job}", instance="${node}"}`,
      values: counter(60 * vcpus * share),
    },
  ];
  const egressSeries = (share: number) => [
    {
      series: `livekit_packet_bytes{job="${job}", instance="${node}", direction="outgoing", transmission="initial"}`,
      values: counter(((nicGbps * 1e9 * share) / 8) * 60),
    },
    // Incoming media is not egress: a full inbound pipe alone must not fire.
    {
      series: `livekit_packet_bytes{job="${job}", instance="${node}", direction="incoming", transmission="initial"}`,
      values: counter(((nicGbps * 1e9) / 8) * 60),
    },
  ];
  const { poolMaxPerReplica, pool } = settings.postgres;
  const poolSeries = (share: number) => [
    {
      series: `gomeet_db_pool_connections{service="meetings", instance="10.244.1.7:3000", state="active"}`,
      values: gauge(poolMaxPerReplica * share),
    },
    {
      series: `gomeet_db_pool_connections{service="meetings", instance="10.244.1.7:3000", state="idle"}`,
      values: gauge(poolMaxPerReplica),
    },
  ];
  const days = (n: number) => n * 86_400;
  const certificate = (secondsAtStart: number) => [
    {
      series: `certmanager_certificate_expiration_timestamp_seconds{namespace="gomeet-edge", name="api-tls"}`,
      values: gauge(secondsAtStart, 240),
    },
  ];
  const certLabels = { namespace: "gomeet-edge", name: "api-tls" };
  const { failedLoginsPerMinute, deniedPerMinute, rateLimitedPerMinute } = settings.security;
  const turn = (ok: number, failed: number, success: number) => [
    { series: `gomeet_turn_probe_total{server="turn-1", outcome="ok"}`, values: counter(ok) },
    { series: `gomeet_turn_probe_total{server="turn-1", outcome="timeout"}`, values: counter(failed) },
    { series: `gomeet_turn_probe_success{server="turn-1"}`, values: gauge(success) },
  ];
  const crashLoop = (namespace: string, values: string) => ({
    series: `kube_pod_container_status_waiting_reason{namespace="${namespace}", pod="auth-7d9f", container="auth", reason="CrashLoopBackOff"}`,
    values,
  });

  return [
    {
      name: "API latency within the SLO",
      alertname: "ApiLatencyP99High",
      series: latencyBuckets("meetings", 1),
      expect: [{ at: "30m", firing: [] }],
    },
    {
      name: "API latency above the SLO: warning after 5m, critical after 15m",
      alertname: "ApiLatencyP99High",
      series: latencyBuckets("meetings", 0.9),
      expect: [
        { at: "3m", firing: [] },
        { at: "10m", firing: [{ severity: "warning", labels: { service: "meetings" } }] },
        {
          at: "25m",
          firing: [
            { severity: "warning", labels: { service: "meetings" } },
            { severity: "critical", labels: { service: "meetings" } },
          ],
        },
      ],
    },
    ...[
      { errors: settings.api.errorRatio / 2, fires: false },
      { errors: settings.api.errorRatio * 4, fires: true },
    ].map(({ errors, fires }) => ({
      name: `5xx ratio ${errors} against a threshold of ${settings.api.errorRatio}`,
      alertname: "ApiErrorRateHigh",
      series: [
        {
          series: `gomeet_http_requests_total{service="auth", method="POST", route="/v1/login", status="200"}`,
          values: counter(1000 * (1 - errors)),
        },
        {
          series: `gomeet_http_requests_total{service="auth", method="POST", route="/v1/login", status="503"}`,
          values: counter(1000 * errors),
        },
        // 4xx answers are the client's fault and must not count.
        {
          series: `gomeet_http_requests_total{service="auth", method="POST", route="/v1/login", status="401"}`,
          values: counter(300),
        },
      ],
      expect: [
        { at: "15m", firing: fires ? [{ severity: "critical" as const, labels: { service: "auth" } }] : [] },
      ],
    })),
    ...[
      { errors: settings.joins.failureRatio / 2, fires: false },
      { errors: settings.joins.failureRatio * 3, fires: true },
    ].map(({ errors, fires }) => ({
      name: `join error ratio ${errors} against ${settings.joins.failureRatio} (full rooms are not failures)`,
      alertname: "MeetingJoinFailuresHigh",
      series: [
        {
          series: `gomeet_meeting_joins_total{service="meetings", outcome="ok"}`,
          values: counter(1000 * (1 - errors)),
        },
        {
          series: `gomeet_meeting_joins_total{service="meetings", outcome="error"}`,
          values: counter(1000 * errors),
        },
        { series: `gomeet_meeting_joins_total{service="meetings", outcome="full"}`, values: counter(100) },
      ],
      expect: [
        {
          at: "15m",
          firing: fires ? [{ severity: "critical" as const, labels: { service: "meetings" } }] : [],
        },
      ],
    })),
    ...headroomScenarios("MediaNodeCpuNearCapacity", cpu, cpuSeries, { instance: node }, between),
    ...headroomScenarios(
      "MediaNodeBandwidthNearCapacity",
      bandwidth,
      egressSeries,
      { instance: node },
      between,
    ),
    {
      name: "every LiveKit node scraped",
      alertname: "LiveKitNodeNotReporting",
      series: [
        { series: `up{job="${job}", instance="10.10.0.5:6789"}`, values: gauge(1, 20) },
        { series: `up{job="${job}", instance="10.10.0.6:6789"}`, values: gauge(1, 20) },
      ],
      expect: [{ at: "10m", firing: [] }],
    },
    {
      name: "one LiveKit node stops answering scrapes",
      alertname: "LiveKitNodeNotReporting",
      series: [
        { series: `up{job="${job}", instance="10.10.0.5:6789"}`, values: gauge(1, 20) },
        { series: `up{job="${job}", instance="10.10.0.6:6789"}`, values: `1 1 1 0x17` },
      ],
      expect: [
        { at: "4m", firing: [] },
        { at: "10m", firing: [{ severity: "critical", labels: { job, instance: "10.10.0.6:6789" } }] },
      ],
    },
    {
      name: "no LiveKit target at all",
      alertname: "LiveKitNodeNotReporting",
      series: [{ series: `up{job="auth", instance="10.244.1.7:3000"}`, values: gauge(1, 20) }],
      expect: [{ at: "10m", firing: [{ severity: "critical", labels: { job } }] }],
    },
    {
      name: "TURN probes succeed",
      alertname: "TurnAllocationFailures",
      series: turn(6, 0, 1),
      expect: [{ at: "25m", firing: [] }],
    },
    {
      name: "some TURN probes time out: warning only",
      alertname: "TurnAllocationFailures",
      series: turn(4, 2, 1),
      expect: [{ at: "25m", firing: [{ severity: "warning", labels: { server: "turn-1" } }] }],
    },
    {
      name: "every TURN allocation fails: warning and critical",
      alertname: "TurnAllocationFailures",
      series: turn(0, 6, 0),
      expect: [
        {
          at: "25m",
          firing: [
            { severity: "warning", labels: { server: "turn-1" } },
            { severity: "critical", labels: { server: "turn-1" } },
          ],
        },
      ],
    },
    ...[
      { secondsLeft: days(settings.certificates.warningDays * 2), firing: [] as Severity[] },
      {
        secondsLeft: days(between(settings.certificates.criticalDays, settings.certificates.warningDays)),
        firing: ["warning"] as Severity[],
      },
      {
        secondsLeft: days(settings.certificates.criticalDays / 2),
        firing: ["warning", "critical"] as Severity[],
      },
    ].map(({ secondsLeft, firing }) => ({
      name: `certificate with ${secondsLeft / 86_400} days left`,
      alertname: "CertificateExpiringSoon",
      // time() is the eval time in promtool, so the series holds "expiry seconds after the test's epoch".
      series: certificate(secondsLeft),
      expect: [{ at: "3h", firing: firing.map((severity) => ({ severity, labels: certLabels })) }],
    })),
    {
      name: "crash loop outside the watched namespaces, steady container inside",
      alertname: "PodCrashLooping",
      series: [
        crashLoop("kube-system", flapping(40)),
        crashLoop(settings.watchedNamespaces[0] ?? "", gauge(0, 40)),
      ],
      expect: [{ at: "30m", firing: [] }],
    },
    {
      name: "container crash-looping in a watched namespace",
      alertname: "PodCrashLooping",
      series: [crashLoop(settings.watchedNamespaces[0] ?? "", flapping(40))],
      expect: [
        {
          at: "30m",
          firing: [
            {
              severity: "warning",
              labels: { namespace: settings.watchedNamespaces[0] ?? "", pod: "auth-7d9f", container: "auth" },
            },
          ],
        },
      ],
    },
    ...headroomScenarios(
      "PostgresPoolNearLimit",
      pool,
      poolSeries,
      { service: "meetings", instance: "10.244.1.7:3000" },
      between,
    ),
    ...[
      { open: settings.postgres.serverConnectionsRatio / 2, fires: false },
      { open: between(settings.postgres.serverConnectionsRatio, 1), fires: true },
    ].map(({ open, fires }) => ({
      name: `Postgres server at ${open} of max_connections`,
      alertname: "PostgresConnectionsNearLimit",
      series: [
        {
          series: `pg_stat_activity_count{datname="gomeet", state="active"}`,
          values: gauge(200 * open * 0.25),
        },
        {
          series: `pg_stat_activity_count{datname="gomeet", state="idle"}`,
          values: gauge(200 * open * 0.75),
        },
        { series: `pg_settings_max_connections{server="db-primary"}`, values: gauge(200) },
      ],
      expect: [{ at: "20m", firing: fires ? [{ severity: "warning" as const, labels: {} }] : [] }],
    })),
    ...[
      { perMinute: failedLoginsPerMinute / 2, fires: false },
      { perMinute: failedLoginsPerMinute * 2, fires: true },
    ].map(({ perMinute, fires }) => ({
      name: `${perMinute} failed logins per minute`,
      alertname: "FailedLoginSpike",
      series: [
        {
          series: `gomeet_auth_login_failures_total{service="auth", reason="bad_credentials"}`,
          values: counter(perMinute * 0.75),
        },
        {
          series: `gomeet_auth_login_failures_total{service="auth", reason="locked"}`,
          values: counter(perMinute * 0.25),
        },
      ],
      expect: [{ at: "10m", firing: fires ? [{ severity: "warning" as const, labels: {} }] : [] }],
    })),
    {
      name: "401 burst on meetings while 403s stay low",
      alertname: "AuthDeniedSpike",
      series: [
        {
          series: `gomeet_auth_denied_total{service="meetings", status="401"}`,
          values: counter(deniedPerMinute * 2),
        },
        {
          series: `gomeet_auth_denied_total{service="meetings", status="403"}`,
          values: counter(deniedPerMinute / 4),
        },
      ],
      expect: [
        { at: "1m", firing: [] },
        { at: "10m", firing: [{ severity: "warning", labels: { service: "meetings", status: "401" } }] },
      ],
    },
    ...[
      { perMinute: rateLimitedPerMinute / 3, fires: false },
      { perMinute: rateLimitedPerMinute * 3, fires: true },
    ].map(({ perMinute, fires }) => ({
      name: `${perMinute} rate-limited requests per minute`,
      alertname: "RateLimitHitsSpike",
      series: [
        {
          series: `gomeet_rate_limited_total{service="chat", limiter="messages"}`,
          values: counter(perMinute),
        },
      ],
      expect: [
        {
          at: "15m",
          firing: fires
            ? [{ severity: "info" as const, labels: { service: "chat", limiter: "messages" } }]
            : [],
        },
      ],
    })),
  ];
}

/** Below warning; between warning and critical; above critical — for alerts that come in both severities. */
function headroomScenarios(
  alertname: string,
  thresholds: { warning: number; critical: number },
  seriesAt: (share: number) => RuleScenario["series"],
  labels: Record<string, string>,
  between: (low: number, high: number) => number,
): RuleScenario[] {
  return [
    { share: thresholds.warning * 0.8, firing: [] as Severity[] },
    { share: between(thresholds.warning, thresholds.critical), firing: ["warning"] as Severity[] },
    { share: between(thresholds.critical, 1), firing: ["warning", "critical"] as Severity[] },
  ].map(({ share, firing }) => ({
    name: `${alertname} at ${Math.round(share * 1000) / 10}% of capacity`,
    alertname,
    series: seriesAt(share),
    expect: [{ at: "30m", firing: firing.map((severity) => ({ severity, labels })) }],
  }));
}
