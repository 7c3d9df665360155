import type * as pulumi from "@pulumi/pulumi";
import { Cluster } from "../components/cluster/cluster.ts";
import { Postgres } from "../components/data/postgres.ts";
import { Valkey } from "../components/data/valkey.ts";
import { DnsZone, fqdn } from "../components/edge/dns.ts";
import { Project } from "../components/edge/project.ts";
import { Registry } from "../components/edge/registry.ts";
import { Storage } from "../components/edge/storage.ts";
import { stackTag } from "../components/naming.ts";
import { Network } from "../components/network/network.ts";
import type { PlatformConfig } from "../stacks/schema.ts";

export interface PlatformSecrets {
  /** Alertmanager's Slack webhook (`gomeet:alertSlackWebhookUrl`), when the stack sets one. */
  alertSlackWebhookUrl?: pulumi.Output<string>;
}

/** What `pulumi stack output` shows: the endpoints users need; credentials only as secrets. */
export interface PlatformOutputs {
  environment: string;
  region: string;
  apiUrl: string;
  livekitUrl: string;
  grafanaUrl: string;
  cdnUrl: string;
  vpcId: pulumi.Output<string>;
  clusterId: pulumi.Output<string>;
  kubeconfig: pulumi.Output<string>;
  registry: string;
}

/** The day DigitalOcean may patch managed databases: the cluster's window day, or Sunday when it is "any". */
function databaseMaintenanceDay(config: PlatformConfig): string {
  const day = config.cluster.maintenanceWindow.day;
  return day === "any" ? "sunday" : day;
}

/**
 * The composition root: creates every platform component for one stack from its validated configuration.
 * Components receive plain typed arguments; environment differences live in the presets, not here.
 */
export function createPlatform(
  stack: string,
  config: PlatformConfig,
  _secrets: PlatformSecrets,
): PlatformOutputs {
  const identity = { stack, tags: [...new Set([...config.tags, stackTag(stack)])] };
  const network = new Network("network", {
    identity,
    region: config.region,
    vpcCidr: config.network.vpcCidr,
  });
  const registry = config.registry.manage
    ? new Registry("registry", {
        name: config.registry.name,
        region: config.region,
        tier: config.registry.tier,
      })
    : undefined;
  const cluster = new Cluster("cluster", {
    identity,
    region: config.region,
    vpcId: network.vpcId,
    network: config.network,
    cluster: config.cluster,
    registry: registry?.registry,
    protect: config.protect,
  });
  const maintenanceDay = databaseMaintenanceDay(config);
  const postgres = new Postgres("postgres", {
    identity,
    region: config.region,
    vpcId: network.vpcId,
    clusterId: cluster.clusterId,
    postgres: config.postgres,
    maintenanceDay,
    protect: config.protect,
  });
  const valkey = new Valkey("valkey", {
    identity,
    region: config.region,
    vpcId: network.vpcId,
    clusterId: cluster.clusterId,
    valkey: config.valkey,
    maintenanceDay,
    protect: config.protect,
  });
  const dns = new DnsZone("dns", { domain: config.domain });
  const storage = new Storage("storage", {
    identity,
    region: config.region,
    domain: config.domain,
    cdnTtlSeconds: config.cdn.ttlSeconds,
    recordingRetentionDays: config.cdn.recordingRetentionDays,
    zone: dns.zone,
  });
  dns.addRecords(storage, "storage", [
    { name: "cdn", type: "CNAME", value: fqdn(storage.cdnEndpoint), ttl: 3600 },
  ]);
  new Project("project", {
    identity,
    environment: config.environment,
    resources: [
      cluster.clusterUrn,
      postgres.clusterUrn,
      valkey.clusterUrn,
      dns.domainUrn,
      ...storage.bucketUrns,
    ],
  });

  return {
    environment: config.environment,
    region: config.region,
    apiUrl: `https://api.${config.domain}`,
    livekitUrl: `wss://livekit.${config.domain}`,
    grafanaUrl: `https://grafana.${config.domain}`,
    cdnUrl: `https://cdn.${config.domain}`,
    vpcId: network.vpcId,
    clusterId: cluster.clusterId,
    kubeconfig: cluster.kubeconfig,
    registry: `registry.digitalocean.com/${config.registry.name}`,
  };
}
