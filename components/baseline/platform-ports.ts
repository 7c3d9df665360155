/**
 * Ports the platform's workloads listen on, shared by the NetworkPolicies, routes and scrape configs so a
 * change in one place cannot silently open or close another.
 */
export const PLATFORM_PORTS = {
  /** Every GoMeet service serves HTTP, WebSockets and /metrics here (apps/shared/src/env.ts `PORT` default). */
  serviceHttp: 8080,
  /** Traefik's entrypoints inside the pod (traefik chart 37.3.0 values: web 8000, websecure 8443, metrics 9100). */
  traefikWeb: 8000,
  traefikWebsecure: 8443,
  traefikMetrics: 9100,
  /** LiveKit signalling and Twirp API (docs/sources.md#livekit-server-configuration). */
  livekitHttp: 7880,
  /**
   * LiveKit's Prometheus port. MEDIA_PORTS (components/media/platform-ports.ts) takes LiveKit's and egress'
   * ports from here.
   */
  livekitMetrics: 6789,
  /** LiveKit egress' Prometheus port. */
  egressMetrics: 9090,
  /** Grafana's HTTP port in the grafana chart. */
  grafana: 3000,
  /** cert-manager controller metrics, and its webhook's (and the Prometheus operator's) admission port. */
  certManagerMetrics: 9402,
  admissionWebhook: 10250,
  nodeExporter: 9100,
  kubelet: 10250,
  /** Managed PostgreSQL direct and PgBouncer ports; Valkey listens on 25061 too (docs/sources.md#postgresql-limits). */
  postgres: 25060,
  postgresPool: 25061,
  postgresExporter: 9187,
  redisExporter: 9121,
  dns: 53,
  https: 443,
  smtpSubmission: 587,
} as const;
