import { NAMESPACES, type NamespaceName } from "../baseline/namespaces.ts";
import { PLATFORM_PORTS } from "../baseline/platform-ports.ts";

/** The middlewares every public route carries, in the order Traefik applies them. */
export const PUBLIC_MIDDLEWARES = ["security-headers", "rate-limit", "body-limit"] as const;
export type PublicMiddleware = (typeof PUBLIC_MIDDLEWARES)[number];

export interface GatewayLimits {
  /** Requests per minute one client address may make (average); bursts up to the same number. */
  rateLimitPerMinute: number;
  maxBodyBytes: number;
}

/**
 * The middleware specs (traefik.io/v1alpha1 Middleware). Rate limits group requests by the remote address —
 * the client's own, because the entrypoints read it from the PROXY protocol header (Traefik's RateLimit
 * `sourceCriterion` defaults to the remote address). The body limit uses the Buffering middleware, which
 * answers 413 and passes upgraded connections through (vulcand/oxy buffer/buffer.go: its response writer
 * implements http.Hijacker), so chat WebSockets keep working.
 */
export function middlewareSpecs(limits: GatewayLimits): Record<PublicMiddleware, Record<string, unknown>> {
  return {
    "security-headers": {
      headers: {
        stsSeconds: 31_536_000,
        stsIncludeSubdomains: true,
        stsPreload: true,
        forceSTSHeader: true,
        contentTypeNosniff: true,
        frameDeny: true,
        referrerPolicy: "no-referrer",
        permissionsPolicy: "camera=(), microphone=(), geolocation=()",
        customResponseHeaders: { Server: "", "X-Powered-By": "" },
      },
    },
    "rate-limit": {
      rateLimit: { average: limits.rateLimitPerMinute, period: "1m", burst: limits.rateLimitPerMinute },
    },
    "body-limit": {
      buffering: {
        maxRequestBodyBytes: limits.maxBodyBytes,
        memRequestBodyBytes: Math.min(limits.maxBodyBytes, 1_048_576),
      },
    },
  };
}

export interface RouteBackend {
  /** Path prefixes this backend owns on its host; none means the whole host. */
  pathPrefixes: string[];
  service: string;
  port: number | string;
}

export interface PublicRoute {
  /** Resource name of the IngressRoute. */
  name: string;
  /** Sub-domain of the stack's domain. */
  subdomain: "api" | "livekit" | "grafana";
  namespace: NamespaceName;
  backends: RouteBackend[];
  /** Routes carrying WebSockets (chat, LiveKit signalling): documented, and checked to keep upgrade-safe middlewares. */
  websockets: boolean;
  /**
   * Operator-only routes: reachable only from the stack's allow-list (`SOURCE_ALLOW_LIST_MIDDLEWARE` runs before
   * the public middlewares), and not routed at all when the list is empty.
   */
  operatorsOnly: boolean;
}

/** The IPAllowList middleware of operator-only routes (Traefik "IPAllowList" middleware, traefik.io/v1alpha1). */
export const SOURCE_ALLOW_LIST_MIDDLEWARE = "source-allow-list";

/**
 * Traefik answers 403 to any other source. The entrypoints take the client address from the load balancer's
 * PROXY protocol header, so the remote address is the client's own and no `ipStrategy` is needed
 * (https://doc.traefik.io/traefik/middlewares/http/ipallowlist/).
 */
export function sourceAllowListSpec(allowList: readonly string[]): Record<string, unknown> {
  if (allowList.length === 0) {
    throw new Error(
      "gateway: an operator-only route needs a non-empty allow-list (monitoring.grafana.allowList)",
    );
  }
  return { ipAllowList: { sourceRange: [...allowList] } };
}

/** The routes a stack publishes: operator-only ones only when the allow-list admits someone. */
export function publishedRoutes(operatorAllowList: readonly string[]): PublicRoute[] {
  return PUBLIC_ROUTES.filter((r) => !r.operatorsOnly || operatorAllowList.length > 0);
}

/**
 * Public routes. `api.<domain>` is split between the services by path prefix (the auth paths are those
 * apps/auth serves; meetings and chat own theirs); `livekit.<domain>` is LiveKit's signalling and room API;
 * `grafana.<domain>` is Grafana, for operators only: behind the allow-list and Grafana's OAuth sign-in. Backends are addressed by their Service's `http` port
 * name, except LiveKit's, whose port number is fixed by livekit.yaml.
 */
export const PUBLIC_ROUTES: PublicRoute[] = [
  {
    name: "api",
    subdomain: "api",
    namespace: NAMESPACES.services,
    websockets: true,
    operatorsOnly: false,
    backends: [
      {
        service: "auth",
        port: "http",
        pathPrefixes: [
          "/v1/auth",
          "/v1/users",
          "/v1/sessions",
          "/v1/admin",
          "/v1/chat-tickets",
          "/.well-known/jwks.json",
        ],
      },
      { service: "meetings", port: "http", pathPrefixes: ["/v1/meetings", "/v1/invitations"] },
      // REST history and the WebSocket endpoint (`/v1/chat/ws`) share the prefix.
      { service: "chat", port: "http", pathPrefixes: ["/v1/chat"] },
    ],
  },
  {
    name: "livekit",
    subdomain: "livekit",
    namespace: NAMESPACES.media,
    websockets: true,
    operatorsOnly: false,
    backends: [{ service: "livekit", port: PLATFORM_PORTS.livekitHttp, pathPrefixes: [] }],
  },
  {
    name: "grafana",
    subdomain: "grafana",
    namespace: NAMESPACES.monitoring,
    websockets: true,
    operatorsOnly: true,
    backends: [{ service: "monitoring-grafana", port: 80, pathPrefixes: [] }],
  },
];

/** Traefik's rule for one backend: the host, and any of its prefixes. */
export function routeMatch(host: string, backend: RouteBackend): string {
  const hostRule = `Host(\`${host}\`)`;
  if (backend.pathPrefixes.length === 0) return hostRule;
  const prefixes = backend.pathPrefixes.map((p) => `PathPrefix(\`${p}\`)`).join(" || ");
  return `${hostRule} && (${prefixes})`;
}

/** The Secret cert-manager writes the host's certificate into (in the route's namespace). */
export function tlsSecretName(route: PublicRoute): string {
  return `${route.name}-tls`;
}

/** The IngressRoute spec for a public route: websecure only (web redirects), every public middleware, TLS. */
export function ingressRouteSpec(route: PublicRoute, domain: string): Record<string, unknown> {
  const host = `${route.subdomain}.${domain}`;
  return {
    entryPoints: ["websecure"],
    routes: route.backends.map((backend) => ({
      kind: "Rule",
      match: routeMatch(host, backend),
      middlewares: [
        ...(route.operatorsOnly ? [SOURCE_ALLOW_LIST_MIDDLEWARE] : []),
        ...PUBLIC_MIDDLEWARES,
      ].map((name) => ({ name })),
      services: [{ kind: "Service", name: backend.service, port: backend.port }],
    })),
    tls: { secretName: tlsSecretName(route) },
  };
}
