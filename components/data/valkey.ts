import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";
import type { PlatformConfig } from "../../stacks/schema.ts";
import { areaTags, resourceName, type StackIdentity } from "../naming.ts";

export interface ValkeyArgs {
  identity: StackIdentity;
  region: string;
  vpcId: pulumi.Input<string>;
  clusterId: pulumi.Input<string>;
  valkey: PlatformConfig["valkey"];
  maintenanceDay: string;
  protect: boolean;
  /** What the cluster holds, in its name: `gomeet-<stack>-valkey[-<role>]` (none for LiveKit's instance). */
  role?: string;
  /**
   * `rdb` dumps every 10 minutes when keys changed and on the backup schedule; `off` loses everything on a restart
   * (DigitalOcean API, valkey_advanced_config `valkey_persistence`; `persistence` of the Pulumi registry's
   * DatabaseValkeyConfig, https://www.pulumi.com/registry/packages/digitalocean/api-docs/databasevalkeyconfig/).
   * docs/data.md says which data needs it.
   */
  persistence: "rdb" | "off";
}

/**
 * Managed Valkey 8 (engine `valkey`; Managed Redis was retired on 30 June 2025 —
 * docs/sources.md#managed-caching-retired). One instance carries LiveKit's routing state; the app keyspace is
 * partitioned over `valkey.shards` more (apps/shared/src/redis-shards.ts, docs/data.md). Seats, locks and streams
 * must never be evicted: `noeviction`.
 */
export class Valkey extends pulumi.ComponentResource {
  /** `rediss://` URI on the private network; secret. */
  readonly uri: pulumi.Output<string>;
  readonly host: pulumi.Output<string>;
  readonly port: pulumi.Output<number>;
  readonly password: pulumi.Output<string>;
  readonly clusterUrn: pulumi.Output<string>;

  constructor(name: string, args: ValkeyArgs, opts?: pulumi.ComponentResourceOptions) {
    super("gomeet:data:Valkey", name, {}, opts);
    const cluster = new digitalocean.DatabaseCluster(
      `${name}-cluster`,
      {
        name: resourceName(args.identity, "valkey", ...(args.role ? [args.role] : [])),
        engine: "valkey",
        version: "8",
        size: args.valkey.size,
        nodeCount: args.valkey.nodeCount,
        region: args.region,
        privateNetworkUuid: args.vpcId,
        evictionPolicy: "noeviction",
        maintenanceWindows: [{ day: args.maintenanceDay, hour: "19:00:00" }],
        tags: areaTags(args.identity, "data"),
      },
      { parent: this, protect: args.protect },
    );
    new digitalocean.DatabaseValkeyConfig(
      `${name}-config`,
      { clusterId: cluster.id, persistence: args.persistence },
      { parent: this },
    );
    new digitalocean.DatabaseFirewall(
      `${name}-firewall`,
      { clusterId: cluster.id, rules: [{ type: "k8s", value: args.clusterId }] },
      { parent: this },
    );
    this.uri = pulumi.secret(cluster.privateUri);
    this.host = cluster.privateHost;
    this.port = cluster.port;
    this.password = pulumi.secret(cluster.password);
    this.clusterUrn = cluster.clusterUrn;
    this.registerOutputs({ uri: this.uri, clusterUrn: this.clusterUrn });
  }
}
