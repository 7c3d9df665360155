import type * as pulumi from "@pulumi/pulumi";
import { Cluster } from "../../components/cluster/cluster.ts";
import { Postgres } from "../../components/data/postgres.ts";
import { Valkey } from "../../components/data/valkey.ts";
import { DnsZone, fqdn } from "../../components/edge/dns.ts";
import { Registry } from "../../components/edge/registry.ts";
import { Storage } from "../../components/edge/storage.ts";
import { WebApp } from "../../components/edge/web-app.ts";
import type { WebBuild } from "../../components/edge/web-build.ts";
import { webRuntimeConfig } from "../../components/edge/web-config.ts";
import type { StackIdentity } from "../../components/naming.ts";
import { Network } from "../../components/network/network.ts";
import type { PlatformConfig } from "../../stacks/schema.ts";

/** The DigitalOcean layer every other layer builds on (issue: cloud layer). */
export interface CloudLayer {
  network: Network;
  cluster: Cluster;
  postgres: Postgres;
  /** LiveKit's own Valkey (routing state, egress queue). */
  valkey: Valkey;
  /** The app keyspace's Valkey clusters in shard order (REDIS_SHARD_URLS; docs/data.md). */
  valkeyShards: Valkey[];
  dns: DnsZone;
  storage: Storage;
  webApp: WebApp;
  /** `registry.digitalocean.com/<name>`: where service images are pulled from. */
  registryEndpoint: string;
  /** DigitalOcean URNs of what this layer created that a project can hold. */
  projectResources: pulumi.Input<string>[];
}

/** The day DigitalOcean may patch managed databases: the cluster's window day, or Sunday when it is "any". */
function databaseMaintenanceDay(config: PlatformConfig): string {
  const day = config.cluster.maintenanceWindow.day;
  return day === "any" ? "sunday" : day;
}

export function createCloudLayer(
  identity: StackIdentity,
  config: PlatformConfig,
  webBuild: WebBuild | undefined,
): CloudLayer {
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
    // Rooms and their nodes: losing them on a restart would split a live meeting over two nodes.
    persistence: "rdb",
  });
  // Seats, locks and chat streams of live meetings: restored from the last dump after a restart (docs/data.md).
  const valkeyShards = Array.from(
    { length: config.valkey.shards },
    (_, shard) =>
      new Valkey(`valkey-app-${shard}`, {
        identity,
        region: config.region,
        vpcId: network.vpcId,
        clusterId: cluster.clusterId,
        valkey: config.valkey,
        maintenanceDay,
        protect: config.protect,
        role: `app-${shard}`,
        persistence: "rdb",
      }),
  );
  const dns = new DnsZone("dns", { domain: config.domain, protect: config.protect });
  const storage = new Storage("storage", {
    identity,
    region: config.region,
    domain: config.domain,
    cdnTtlSeconds: config.cdn.ttlSeconds,
    recordingRetentionDays: config.cdn.recordingRetentionDays,
    zone: dns.zone,
  });
  dns.addRecords(storage, "storage", [
    { name: "meet", type: "CNAME", value: fqdn(storage.cdnEndpoint), ttl: 3600 },
  ]);
  const webApp = new WebApp("web", {
    bucket: storage.assetsBucket,
    region: config.region,
    build: webBuild,
    runtimeConfig: webRuntimeConfig(config.domain),
  });
  return {
    network,
    cluster,
    postgres,
    valkey,
    valkeyShards,
    dns,
    storage,
    webApp,
    registryEndpoint: `registry.digitalocean.com/${config.registry.name}`,
    projectResources: [
      cluster.clusterUrn,
      postgres.clusterUrn,
      valkey.clusterUrn,
      ...valkeyShards.map((v) => v.clusterUrn),
      dns.domainUrn,
      ...storage.bucketUrns,
    ],
  };
}
