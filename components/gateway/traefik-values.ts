import { NAMESPACES } from "../baseline/namespaces.ts";
import { PLATFORM_PORTS } from "../baseline/platform-ports.ts";
import { PRIORITY_CLASSES } from "../baseline/priority-classes.ts";

export interface TraefikValuesInput {
  /** DigitalOcean load balancer name (`gomeet-<stack>-gateway`). */
  loadBalancerName: string;
  /** Load balancer size units: each adds 10,000 RPS and 10,000 connections (docs/sources.md#load-balancers). */
  loadBalancerNodes: number;
  replicas: number;
  /** Sources allowed to send a PROXY protocol header: the load balancer and the nodes, all inside the VPC. */
  proxyProtocolTrustedCidrs: string[];
}

/** The annotations from which DigitalOcean's cloud controller builds the load balancer in front of Traefik. */
export function loadBalancerAnnotations(input: TraefikValuesInput): Record<string, string> {
  return {
    // https://github.com/digitalocean/digitalocean-cloud-controller-manager/blob/master/docs/controllers/services/annotations.md
    "service.beta.kubernetes.io/do-loadbalancer-name": input.loadBalancerName,
    // The regional (HTTP) load balancer scales by size units and speaks PROXY protocol; DOKS ≥ 1.33 otherwise
    // creates a network load balancer (docs/sources.md#doks-release-notes).
    "service.beta.kubernetes.io/do-loadbalancer-type": "REGIONAL",
    "service.beta.kubernetes.io/do-loadbalancer-size-unit": String(input.loadBalancerNodes),
    // TCP pass-through: TLS ends at Traefik (cert-manager certificates), so the LB never sees plaintext.
    "service.beta.kubernetes.io/do-loadbalancer-protocol": "tcp",
    "service.beta.kubernetes.io/do-loadbalancer-enable-proxy-protocol": "true",
  };
}

/**
 * The entry points Traefik's Service publishes: the DigitalOcean load balancer forwards 80 and 443 to one
 * NodePort each, so the gateway namespace's quota allows exactly these (components/baseline/quotas.ts).
 */
export const TRAEFIK_EXPOSED_PORTS = ["web", "websecure"] as const;

/**
 * Values for the pinned Traefik chart (components/gateway/charts.ts; keys and shapes from that chart's
 * values.yaml and values.schema.json, which refuses unknown keys). PROXY protocol is trusted on both
 * entrypoints, so Traefik and the services see the client's address, not the load balancer's; `web` only
 * redirects to `websecure`. Traefik watches CRDs only in the namespaces that carry public routes.
 */
export function traefikValues(input: TraefikValuesInput): Record<string, unknown> {
  const proxyProtocol = { trustedIPs: input.proxyProtocolTrustedCidrs, insecure: false };
  return {
    deployment: { replicas: input.replicas },
    podDisruptionBudget: input.replicas > 1 ? { enabled: true, maxUnavailable: 1 } : { enabled: false },
    priorityClassName: PRIORITY_CLASSES.platform.name,
    resources: {
      requests: { cpu: "250m", memory: "256Mi" },
      limits: { cpu: "2000m", memory: "1Gi" },
    },
    podSecurityContext: {
      runAsNonRoot: true,
      runAsUser: 65532,
      runAsGroup: 65532,
      seccompProfile: { type: "RuntimeDefault" },
    },
    ingressClass: { enabled: false },
    ingressRoute: { dashboard: { enabled: false } },
    providers: {
      kubernetesCRD: {
        enabled: true,
        allowCrossNamespace: false,
        namespaces: [NAMESPACES.services, NAMESPACES.media, NAMESPACES.monitoring],
      },
      kubernetesIngress: { enabled: false },
    },
    ports: {
      web: {
        port: PLATFORM_PORTS.traefikWeb,
        exposedPort: 80,
        expose: { default: true },
        http: { redirections: { entryPoint: { to: "websecure", scheme: "https", permanent: true } } },
        proxyProtocol,
      },
      websecure: {
        port: PLATFORM_PORTS.traefikWebsecure,
        exposedPort: 443,
        expose: { default: true },
        proxyProtocol,
        http: { tls: { enabled: true } },
      },
      metrics: { port: PLATFORM_PORTS.traefikMetrics, expose: { default: false } },
    },
    metrics: { prometheus: { entryPoint: "metrics", service: { enabled: true } } },
    service: {
      type: "LoadBalancer",
      annotations: loadBalancerAnnotations(input),
      // Local: the load balancer only targets nodes running Traefik, and no second hop hides the source.
      spec: { externalTrafficPolicy: "Local" },
    },
    log: { format: "json" },
    accessLog: { enabled: true, format: "json" },
  };
}
