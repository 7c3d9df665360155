import type * as pulumi from "@pulumi/pulumi";
import { dropletSize } from "../../catalogue/droplet-sizes.ts";
import { SERVICE_NAMES } from "../../components/apps/service-registry.ts";
import { SecurityBaseline } from "../../components/baseline/baseline.ts";
import { Gateway } from "../../components/gateway/gateway.ts";
import type { StackIdentity } from "../../components/naming.ts";
import { Monitoring } from "../../components/observability/monitoring.ts";
import type { PlatformConfig } from "../../stacks/schema.ts";
import type { CloudLayer } from "./cloud.ts";

export interface InClusterSecrets {
  /** `gomeet:alertSlackWebhookUrl`. */
  alertSlackWebhookUrl?: pulumi.Output<string>;
  /** `gomeet:digitaloceanDnsToken`: DNS-scoped DigitalOcean token for cert-manager's DNS-01 challenges. */
  digitaloceanDnsToken?: pulumi.Output<string>;
  /** `gomeet:grafanaOAuthClientSecret`: the OAuth client secret Grafana signs users in with. */
  grafanaOAuthClientSecret?: pulumi.Output<string>;
}

/** The in-cluster platform layer: security baseline, public gateway, monitoring. */
export interface InClusterLayer {
  baseline: SecurityBaseline;
  gateway: Gateway;
  monitoring: Monitoring;
  /** The public load balancer's IPv4 address, which api/livekit/grafana resolve to. */
  loadBalancerIp: pulumi.Output<string>;
  grafanaUrl: string;
  grafanaAdminPassword: pulumi.Output<string>;
}

/**
 * postgres.js `max` per replica of the services: each service's PgBouncer pool shared by its replicas at their
 * maximum count (the pool-limit alerts measure busy connections against it). The services read the same value.
 */
export function servicePoolMaxPerReplica(config: PlatformConfig): number {
  return Math.min(
    ...SERVICE_NAMES.map((s) =>
      Math.max(1, Math.floor(config.postgres.poolSize[s] / config.services[s].maxReplicas)),
    ),
  );
}

/** Grafana gets a public name only when its allow-list admits someone (components/gateway/routes.ts). */
function publicSubdomains(config: PlatformConfig): string[] {
  return config.monitoring.grafana.allowList.length > 0 ? ["api", "livekit", "grafana"] : ["api", "livekit"];
}

export function createInClusterLayer(
  identity: StackIdentity,
  config: PlatformConfig,
  cloud: CloudLayer,
  secrets: InClusterSecrets,
): InClusterLayer {
  const providers = { providers: [cloud.cluster.provider] };
  const baseline = new SecurityBaseline("baseline", { config }, providers);

  const gateway = new Gateway(
    "gateway",
    {
      identity,
      domain: config.domain,
      gateway: config.gateway,
      acme: config.gateway.letsEncrypt,
      // Two Traefik pods wherever the load balancer has more than one node or the cluster is HA.
      replicas: config.cluster.highAvailability || config.gateway.loadBalancerNodes > 1 ? 2 : 1,
      vpcCidr: config.network.vpcCidr,
      dnsApiToken: secrets.digitaloceanDnsToken,
      grafanaAllowList: config.monitoring.grafana.allowList,
      baseline: baseline.ready,
    },
    providers,
  );
  cloud.dns.addRecords(
    gateway,
    "gateway",
    publicSubdomains(config).map((name) => ({
      name,
      type: "A",
      value: gateway.loadBalancerIp,
      ttl: 300,
    })),
  );

  const mediaNode = dropletSize(config.cluster.pools.media.size);
  const monitoring = new Monitoring(
    "monitoring",
    {
      identity,
      environment: config.environment,
      domain: config.domain,
      monitoring: config.monitoring,
      highAvailability: config.cluster.highAvailability,
      mediaNode: { vcpus: mediaNode.vcpus, nicGbps: mediaNode.network_cap_gbps },
      postgresPoolMaxPerReplica: servicePoolMaxPerReplica(config),
      postgresUri: cloud.postgres.monitoringUri,
      valkeyUri: cloud.valkey.uri,
      grafana: {
        login: config.monitoring.grafana.login,
        oauthClientSecret: secrets.grafanaOAuthClientSecret,
      },
      alertSlackWebhookUrl: secrets.alertSlackWebhookUrl,
      baseline: baseline.ready,
    },
    providers,
  );

  return {
    baseline,
    gateway,
    monitoring,
    loadBalancerIp: gateway.loadBalancerIp,
    grafanaUrl: `https://grafana.${config.domain}`,
    grafanaAdminPassword: monitoring.grafanaAdminPassword,
  };
}
