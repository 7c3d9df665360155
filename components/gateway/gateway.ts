import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { NAMESPACES } from "../baseline/namespaces.ts";
import { PRIORITY_CLASSES } from "../baseline/priority-classes.ts";
import { resourceName, type StackIdentity } from "../naming.ts";
import { failAs } from "../resource-error.ts";
import {
  type AcmeEnvironment,
  CLUSTER_ISSUER_NAME,
  certificateSpec,
  clusterIssuerSpec,
  DNS_TOKEN_SECRET,
} from "./certificates.ts";
import { CERT_MANAGER_CHART, type PinnedChart, TRAEFIK_CHART } from "./charts.ts";
import {
  ingressRouteSpec,
  middlewareSpecs,
  publishedRoutes,
  SOURCE_ALLOW_LIST_MIDDLEWARE,
  sourceAllowListSpec,
  tlsSecretName,
} from "./routes.ts";
import { traefikValues } from "./traefik-values.ts";

export interface GatewayArgs {
  identity: StackIdentity;
  domain: string;
  gateway: { loadBalancerNodes: number; rateLimitPerMinute: number; maxBodyBytes: number };
  acme: AcmeEnvironment;
  replicas: number;
  vpcCidr: string;
  /**
   * DigitalOcean API token with DNS write scope for DNS-01 (`gomeet:digitaloceanDnsToken`). Without it the
   * issuer expects the Secret to have been created by hand (docs/gateway.md).
   */
  dnsApiToken: pulumi.Output<string> | undefined;
  /** Who may reach operator-only routes (Grafana); empty: they are not routed. */
  grafanaAllowList: readonly string[];
  /** The baseline's namespaces, policies and priority classes: they must exist before any pod starts. */
  baseline: pulumi.Resource[];
}

/** The Traefik release's name: its Service is `traefik` in the gateway namespace (chart fullname). */
export const TRAEFIK_RELEASE = "traefik";

function helmRelease(chart: PinnedChart, namespace: string, values: Record<string, unknown>) {
  return {
    name: chart.chart,
    chart: chart.chart,
    version: chart.version,
    repositoryOpts: { repo: chart.repo },
    namespace,
    createNamespace: false,
    atomic: true,
    cleanupOnFail: true,
    timeout: 600,
    values,
  };
}

/**
 * The public edge: Traefik behind a DigitalOcean load balancer made from its Service annotations, cert-manager
 * issuing Let's Encrypt certificates over DNS-01, and the public routes with their middlewares. The load
 * balancer's address is read back from the Traefik Service once the release is up; the DNS records use it.
 */
export class Gateway extends pulumi.ComponentResource {
  readonly loadBalancerIp: pulumi.Output<string>;
  readonly traefik: k8s.helm.v3.Release;
  readonly certManager: k8s.helm.v3.Release;

  constructor(name: string, args: GatewayArgs, opts?: pulumi.ComponentResourceOptions) {
    super("gomeet:gateway:Gateway", name, {}, opts);
    const child = { parent: this, dependsOn: args.baseline };

    this.certManager = new k8s.helm.v3.Release(
      `${name}-cert-manager`,
      helmRelease(CERT_MANAGER_CHART, NAMESPACES.certManager, {
        crds: { enabled: true, keep: true },
        global: { priorityClassName: PRIORITY_CLASSES.platform.name },
        prometheus: { enabled: true, servicemonitor: { enabled: false } },
        // Ask public resolvers whether the challenge record is visible, not the cluster's caching DNS.
        dns01RecursiveNameservers: "1.1.1.1:53,8.8.8.8:53",
        dns01RecursiveNameserversOnly: true,
      }),
      child,
    );
    const issuerDeps: pulumi.Resource[] = [this.certManager];
    if (args.dnsApiToken) {
      issuerDeps.push(
        new k8s.core.v1.Secret(
          `${name}-dns-token`,
          {
            metadata: { name: DNS_TOKEN_SECRET.name, namespace: NAMESPACES.certManager },
            type: "Opaque",
            stringData: { [DNS_TOKEN_SECRET.key]: pulumi.secret(args.dnsApiToken) },
          },
          child,
        ),
      );
    } else {
      pulumi.log.warn(
        `gomeet:digitaloceanDnsToken is not set: the ClusterIssuer expects Secret ${NAMESPACES.certManager}/${DNS_TOKEN_SECRET.name} (key ${DNS_TOKEN_SECRET.key}) to exist already`,
        this,
      );
    }
    const issuer = new k8s.apiextensions.CustomResource(
      `${name}-issuer`,
      {
        apiVersion: "cert-manager.io/v1",
        kind: "ClusterIssuer",
        metadata: { name: CLUSTER_ISSUER_NAME },
        spec: clusterIssuerSpec(args.acme, args.domain),
      },
      { parent: this, dependsOn: issuerDeps },
    );

    this.traefik = new k8s.helm.v3.Release(
      `${name}-traefik`,
      helmRelease(
        TRAEFIK_CHART,
        NAMESPACES.gateway,
        failAs(this, () =>
          traefikValues({
            loadBalancerName: resourceName(args.identity, "gateway"),
            loadBalancerNodes: args.gateway.loadBalancerNodes,
            replicas: args.replicas,
            proxyProtocolTrustedCidrs: [args.vpcCidr],
          }),
        ),
      ),
      child,
    );

    const routeDeps: pulumi.Resource[] = [this.traefik];
    const middlewares = middlewareSpecs(args.gateway);
    for (const route of publishedRoutes(args.grafanaAllowList)) {
      const host = `${route.subdomain}.${args.domain}`;
      const routeMiddlewares = route.operatorsOnly
        ? { [SOURCE_ALLOW_LIST_MIDDLEWARE]: sourceAllowListSpec(args.grafanaAllowList), ...middlewares }
        : middlewares;
      for (const [middleware, spec] of Object.entries(routeMiddlewares)) {
        routeDeps.push(
          new k8s.apiextensions.CustomResource(
            `${name}-mw-${route.namespace}-${middleware}`,
            {
              apiVersion: "traefik.io/v1alpha1",
              kind: "Middleware",
              metadata: { name: middleware, namespace: route.namespace },
              spec,
            },
            { parent: this, dependsOn: [this.traefik] },
          ),
        );
      }
      const certificate = new k8s.apiextensions.CustomResource(
        `${name}-cert-${route.name}`,
        {
          apiVersion: "cert-manager.io/v1",
          kind: "Certificate",
          metadata: { name: route.name, namespace: route.namespace },
          spec: certificateSpec(host, tlsSecretName(route)),
        },
        { parent: this, dependsOn: [issuer] },
      );
      new k8s.apiextensions.CustomResource(
        `${name}-route-${route.name}`,
        {
          apiVersion: "traefik.io/v1alpha1",
          kind: "IngressRoute",
          metadata: { name: route.name, namespace: route.namespace },
          spec: ingressRouteSpec(route, args.domain),
        },
        { parent: this, dependsOn: [...routeDeps, certificate] },
      );
    }

    // The cloud controller fills the Service's status once DigitalOcean has created the load balancer.
    const service = k8s.core.v1.Service.get(
      `${name}-lb-service`,
      `${NAMESPACES.gateway}/${TRAEFIK_RELEASE}`,
      {
        parent: this,
        dependsOn: [this.traefik],
      },
    );
    this.loadBalancerIp = service.status.apply((status) => {
      const ip = status?.loadBalancer?.ingress?.[0]?.ip;
      if (!ip) {
        throw new pulumi.ResourceError(
          `Service ${NAMESPACES.gateway}/${TRAEFIK_RELEASE} has no load balancer address yet (status.loadBalancer.ingress[0].ip)`,
          this,
        );
      }
      return ip;
    });
    this.registerOutputs({ loadBalancerIp: this.loadBalancerIp });
  }
}
