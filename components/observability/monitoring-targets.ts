import { SERVICES_NAMESPACE, type ServiceName } from "../apps/service-registry.ts";
import { NAMESPACES } from "../baseline/namespaces.ts";
import { PLATFORM_PORTS } from "../baseline/platform-ports.ts";
import { ENTRY_KEY } from "../edge/web-build.ts";
import { webOrigin } from "../edge/web-config.ts";

/** Prometheus scrapes every control-plane service through a ServiceMonitor on its `http` port. */
export function serviceMonitorSpec(service: ServiceName): Record<string, unknown> {
  return {
    selector: { matchLabels: { "app.kubernetes.io/name": service } },
    namespaceSelector: { matchNames: [SERVICES_NAMESPACE] },
    // Services label every series with `service` themselves (docs/metrics.md); keep theirs over the target's.
    endpoints: [{ port: "http", path: "/metrics", interval: "30s", scheme: "http", honorLabels: true }],
  };
}

/**
 * cert-manager's metrics Service (chart `prometheus.enabled`), for CertificateExpiringSoon. Chart v1.21.1 names
 * the controller Service's port `http-metrics` (9402); a monitor naming another port scrapes nothing.
 */
export function certManagerMonitorSpec(): Record<string, unknown> {
  return {
    selector: {
      matchLabels: { "app.kubernetes.io/name": "cert-manager", "app.kubernetes.io/component": "controller" },
    },
    namespaceSelector: { matchNames: [NAMESPACES.certManager] },
    endpoints: [{ port: "http-metrics", path: "/metrics", interval: "60s" }],
  };
}

/** Traefik's metrics Service (chart `metrics.prometheus.service.enabled`). */
export function traefikMonitorSpec(): Record<string, unknown> {
  return {
    selector: { matchLabels: { "app.kubernetes.io/name": "traefik" } },
    namespaceSelector: { matchNames: [NAMESPACES.gateway] },
    endpoints: [{ port: "metrics", path: "/metrics", interval: "30s" }],
  };
}

/** Uptime targets on the public endpoints; each path answers 200 without credentials. */
export function uptimeTargets(domain: string): { name: string; target: string }[] {
  return [
    // auth's public key set: served by the API without a token, and cheap.
    { name: "api", target: `https://api.${domain}/.well-known/jwks.json` },
    // livekit-server answers GET / with 200 "OK" on its HTTP port.
    { name: "livekit", target: `https://livekit.${domain}/` },
    // The web app's entry document on the CDN's custom domain; the stack uploads it with every deploy
    // (components/edge/web-app.ts), and a real deploy without it fails.
    { name: "web", target: `${webOrigin(domain)}/${ENTRY_KEY}` },
  ];
}

export const EXPORTER_PORTS = {
  postgres: PLATFORM_PORTS.postgresExporter,
  redis: PLATFORM_PORTS.redisExporter,
} as const;
