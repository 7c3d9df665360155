import { NAMESPACES, type NamespaceKey, type NamespaceName } from "./namespaces.ts";
import { PLATFORM_PORTS as P } from "./platform-ports.ts";

type Protocol = "TCP" | "UDP";
interface PolicyPort {
  protocol: Protocol;
  port: number;
  endPort?: number;
}
type Peer =
  | {
      namespaceSelector: { matchLabels: Record<string, string> };
      podSelector?: { matchLabels: Record<string, string> };
    }
  | { podSelector: Record<string, never> }
  | { ipBlock: { cidr: string } };
interface Rule {
  peers: Peer[];
  ports: PolicyPort[];
}

/** A NetworkPolicy as the component declares it: what it is for, where it lives and its spec. */
export interface PlatformNetworkPolicy {
  name: string;
  namespace: NamespaceName;
  purpose: string;
  spec: {
    /** Every pod of the namespace, or only the pods a policy is for. */
    podSelector: Record<string, never> | { matchLabels: Record<string, string> };
    policyTypes: ("Ingress" | "Egress")[];
    ingress?: { from: Peer[]; ports: PolicyPort[] }[];
    egress?: { to: Peer[]; ports: PolicyPort[] }[];
  };
}

export interface NetworkPolicyInput {
  /** The stack's VPC: managed databases, TURN droplets and every node address (hostNetwork pods) live here. */
  vpcCidr: string;
  rtcUdpPorts: { min: number; max: number };
  rtcTcpPort: number;
}

/**
 * The metrics adapter (prometheus-adapter, chart value `listenPort`) listens on the admission-webhook port that
 * the API server already reaches in `monitoring`, as metrics-server does by default (`--secure-port=10250`): the
 * aggregation layer calls it for external.metrics.k8s.io and metrics.k8s.io on behalf of every HPA, and no second
 * port is opened to addresses we do not own.
 */
export const METRICS_API_PORT = P.admissionWebhook;

/**
 * The one receiver of LiveKit's webhooks: meetings' pods (the `app.kubernetes.io/name` label
 * components/apps/control-plane-service.ts gives each service) on their HTTP port
 * (components/apps/service-registry.ts meetingsWebhookUrl).
 */
export const WEBHOOK_RECEIVER = {
  pods: { "app.kubernetes.io/name": "meetings" },
  port: P.serviceHttp,
} as const;

const ANYWHERE: Peer = { ipBlock: { cidr: "0.0.0.0/0" } };
const SAME_NAMESPACE: Peer = { podSelector: {} };
const namespace = (key: NamespaceKey): Peer => ({
  namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": NAMESPACES[key] } },
});
const tcp = (...ports: number[]): PolicyPort[] => ports.map((port) => ({ protocol: "TCP", port }));

function policy(
  key: NamespaceKey,
  name: string,
  purpose: string,
  rules: { ingress?: Rule[]; egress?: Rule[]; pods?: Record<string, string> },
): PlatformNetworkPolicy {
  const policyTypes: ("Ingress" | "Egress")[] = [];
  if (rules.ingress) policyTypes.push("Ingress");
  if (rules.egress) policyTypes.push("Egress");
  return {
    name,
    namespace: NAMESPACES[key],
    purpose,
    spec: {
      podSelector: rules.pods ? { matchLabels: rules.pods } : {},
      policyTypes,
      ...(rules.ingress && { ingress: rules.ingress.map((r) => ({ from: r.peers, ports: r.ports })) }),
      ...(rules.egress && { egress: rules.egress.map((r) => ({ to: r.peers, ports: r.ports })) }),
    },
  };
}

/**
 * Every namespace starts closed in both directions; each allow below names one flow of the platform. The DOKS
 * API server and the ACME, Slack and SMTP endpoints sit outside the cluster on addresses we do not own, so
 * those flows are scoped by port, not by address. Pods with hostNetwork (LiveKit, node-exporter) are not
 * subject to NetworkPolicy; they are reached at node addresses inside the VPC, which is why flows towards them
 * also allow the VPC range, and their exposure to the internet is the DigitalOcean firewall's job.
 */
export function platformNetworkPolicies(input: NetworkPolicyInput): PlatformNetworkPolicy[] {
  const vpc: Peer = { ipBlock: { cidr: input.vpcCidr } };
  const kubeDns: Peer = {
    namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } },
    podSelector: { matchLabels: { "k8s-app": "kube-dns" } },
  };
  const dnsPorts: PolicyPort[] = [
    { protocol: "UDP", port: P.dns },
    { protocol: "TCP", port: P.dns },
  ];
  const keys = Object.keys(NAMESPACES) as NamespaceKey[];
  const baseline = keys.flatMap((key) => [
    policy(key, "default-deny", "nothing in or out unless another policy allows it", {
      ingress: [],
      egress: [],
    }),
    policy(key, "allow-dns", "name resolution through the cluster DNS", {
      egress: [{ peers: [kubeDns], ports: dnsPorts }],
    }),
  ]);
  const kubeApi: Rule = { peers: [ANYWHERE], ports: tcp(P.https, 6443) };

  return [
    ...baseline,
    policy("gateway", "allow-public-ingress", "clients reach Traefik through the load balancer", {
      ingress: [{ peers: [ANYWHERE], ports: tcp(P.traefikWeb, P.traefikWebsecure) }],
    }),
    policy("gateway", "allow-metrics-scrape", "Prometheus scrapes Traefik", {
      ingress: [{ peers: [namespace("monitoring")], ports: tcp(P.traefikMetrics) }],
    }),
    policy("gateway", "allow-route-backends", "Traefik forwards to the services, LiveKit and Grafana", {
      egress: [
        { peers: [namespace("services")], ports: tcp(P.serviceHttp) },
        { peers: [namespace("media"), vpc], ports: tcp(P.livekitHttp) },
        { peers: [namespace("monitoring")], ports: tcp(P.grafana) },
        kubeApi,
      ],
    }),

    policy("services", "allow-from-gateway", "public API requests and chat WebSockets from Traefik", {
      ingress: [{ peers: [namespace("gateway")], ports: tcp(P.serviceHttp) }],
    }),
    policy("services", "allow-metrics-scrape", "Prometheus scrapes /metrics", {
      ingress: [{ peers: [namespace("monitoring")], ports: tcp(P.serviceHttp) }],
    }),
    policy(
      "services",
      "allow-between-services",
      "service-to-service calls (e.g. chat fetching auth's JWKS)",
      {
        ingress: [{ peers: [SAME_NAMESPACE], ports: tcp(P.serviceHttp) }],
        egress: [{ peers: [SAME_NAMESPACE], ports: tcp(P.serviceHttp) }],
      },
    ),
    policy(
      "services",
      "allow-livekit-webhooks",
      // LiveKit runs on the host network, so its requests come from node addresses in the VPC, which no
      // selector narrows further; the policy admits them to meetings' pods and port alone, and meetings accepts
      // only webhooks signed with the LiveKit API key (apps/meetings/src/livekit-webhooks.ts).
      "LiveKit (host network, node addresses) posts webhooks to meetings, and only to meetings",
      {
        pods: WEBHOOK_RECEIVER.pods,
        ingress: [{ peers: [vpc], ports: tcp(WEBHOOK_RECEIVER.port) }],
      },
    ),
    policy(
      "services",
      "allow-databases",
      // Only the pooled port: each PgBouncer pool binds one user to one database, so with per-service
      // credentials no service can open another's database; the direct port (any database) stays closed.
      "PostgreSQL through the PgBouncer pools and Valkey, on their private endpoints",
      {
        egress: [{ peers: [vpc], ports: tcp(P.postgresPool) }],
      },
    ),
    policy("services", "allow-livekit-api", "meetings calls LiveKit's room API", {
      egress: [{ peers: [namespace("media"), vpc], ports: tcp(P.livekitHttp) }],
    }),

    policy("media", "allow-signalling", "clients through Traefik and the meetings service reach LiveKit", {
      ingress: [{ peers: [namespace("gateway"), namespace("services")], ports: tcp(P.livekitHttp) }],
    }),
    policy("media", "allow-metrics-scrape", "Prometheus scrapes LiveKit", {
      ingress: [{ peers: [namespace("monitoring")], ports: tcp(P.livekitMetrics, P.egressMetrics) }],
    }),
    policy(
      "media",
      "allow-media-egress",
      "Valkey routing, webhooks, recordings to Spaces, egress joining rooms",
      {
        egress: [
          { peers: [vpc], ports: tcp(P.postgresPool) },
          { peers: [namespace("services")], ports: tcp(P.serviceHttp) },
          { peers: [ANYWHERE], ports: tcp(P.https) },
          {
            peers: [vpc],
            ports: [
              { protocol: "UDP", port: input.rtcUdpPorts.min, endPort: input.rtcUdpPorts.max },
              { protocol: "TCP", port: input.rtcTcpPort },
              { protocol: "TCP", port: P.livekitHttp },
            ],
          },
        ],
      },
    ),

    policy("monitoring", "allow-grafana-from-gateway", "operators reach Grafana through Traefik", {
      ingress: [{ peers: [namespace("gateway")], ports: tcp(P.grafana) }],
    }),
    policy(
      "monitoring",
      "allow-within-namespace",
      "Prometheus, Alertmanager, Grafana and exporters talk freely",
      {
        ingress: [{ peers: [SAME_NAMESPACE], ports: [] }],
        egress: [{ peers: [SAME_NAMESPACE], ports: [] }],
      },
    ),
    policy(
      "monitoring",
      "allow-operator-webhook",
      "the API server calls the Prometheus operator's admission webhook and the metrics adapter",
      {
        ingress: [{ peers: [ANYWHERE], ports: tcp(P.admissionWebhook) }],
      },
    ),
    policy("monitoring", "allow-scrapes", "Prometheus scrapes every metrics port of the platform", {
      egress: [
        { peers: [namespace("services")], ports: tcp(P.serviceHttp) },
        { peers: [namespace("gateway")], ports: tcp(P.traefikMetrics) },
        { peers: [namespace("certManager")], ports: tcp(P.certManagerMetrics) },
        {
          peers: [namespace("media"), namespace("nodeMetrics"), vpc],
          ports: tcp(P.livekitMetrics, P.egressMetrics, P.nodeExporter),
        },
        { peers: [vpc], ports: tcp(P.kubelet) },
      ],
    }),
    policy(
      "monitoring",
      "allow-exporters-to-databases",
      "postgres_exporter and redis_exporter reach the managed databases",
      {
        egress: [{ peers: [vpc], ports: tcp(P.postgres, P.postgresPool) }],
      },
    ),
    policy(
      "monitoring",
      "allow-notifications-and-api",
      "Alertmanager to Slack and SMTP; operator and sidecars to the API",
      {
        egress: [{ peers: [ANYWHERE], ports: tcp(P.https, 6443, P.smtpSubmission) }],
      },
    ),

    policy("nodeMetrics", "allow-metrics-scrape", "Prometheus scrapes node-exporter", {
      ingress: [{ peers: [namespace("monitoring")], ports: tcp(P.nodeExporter) }],
    }),

    policy("certManager", "allow-webhook", "the API server calls cert-manager's webhook", {
      ingress: [{ peers: [ANYWHERE], ports: tcp(P.admissionWebhook) }],
    }),
    policy("certManager", "allow-metrics-scrape", "Prometheus scrapes certificate expiry", {
      ingress: [{ peers: [namespace("monitoring")], ports: tcp(P.certManagerMetrics) }],
    }),
    policy(
      "certManager",
      "allow-acme",
      "Let's Encrypt, the DigitalOcean DNS API, the API server, and DNS-01 propagation checks",
      {
        egress: [
          { peers: [ANYWHERE], ports: tcp(P.https, 6443) },
          { peers: [ANYWHERE], ports: dnsPorts },
        ],
      },
    ),
  ];
}
