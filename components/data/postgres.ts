import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";
import type { PlatformConfig } from "../../stacks/schema.ts";
import { SERVICE_NAMES, type ServiceName } from "../apps/service-registry.ts";
import { areaTags, resourceName, type StackIdentity } from "../naming.ts";
import { MONITORING_ROLE } from "./monitoring-role.ts";

export interface PostgresArgs {
  identity: StackIdentity;
  region: string;
  vpcId: pulumi.Input<string>;
  clusterId: pulumi.Input<string>;
  postgres: PlatformConfig["postgres"];
  maintenanceDay: string;
  protect: boolean;
}

/** The logical databases: one per service, and one per chat shard (`chat_s0`, `chat_s1`, …). */
export function databaseNames(
  chatShards: number,
): { service: ServiceName; database: string; pool: string }[] {
  return [
    { service: "auth", database: "auth", pool: "auth" },
    { service: "meetings", database: "meetings", pool: "meetings" },
    ...Array.from({ length: chatShards }, (_, i) => ({
      service: "chat" as const,
      database: `chat_s${i}`,
      pool: `chat-s${i}`,
    })),
  ];
}

/**
 * Managed PostgreSQL in the stack's VPC: standby nodes where config asks for them (no read replica: nothing
 * reads from one, docs/data.md "PostgreSQL: no read replica"), one
 * database, user and PgBouncer pool (transaction mode) per service, and a database firewall that admits only
 * the DOKS cluster. Daily backups and 7-day point-in-time recovery are DigitalOcean's managed defaults
 * (docs/sources.md#postgresql-limits; restore runbook in docs/runbooks/postgres-restore.md).
 */
export class Postgres extends pulumi.ComponentResource {
  /** Pooled connection string per service (chat: one per shard, in shard order); secret. */
  readonly connectionStrings: Record<"auth" | "meetings", pulumi.Output<string>> & {
    chat: pulumi.Output<string>[];
  };
  /**
   * The monitoring user's direct connection string (secret), for postgres-exporter: a user of its own that owns
   * nothing and is granted only `pg_monitor` (components/data/monitoring-role.ts), so the monitoring namespace
   * holds no service's credentials.
   */
  readonly monitoringUri: pulumi.Output<string>;
  readonly clusterUrn: pulumi.Output<string>;
  readonly clusterId: pulumi.Output<string>;

  constructor(name: string, args: PostgresArgs, opts?: pulumi.ComponentResourceOptions) {
    super("gomeet:data:Postgres", name, {}, opts);
    const tags = areaTags(args.identity, "data");
    const config = args.postgres;
    const cluster = new digitalocean.DatabaseCluster(
      `${name}-cluster`,
      {
        name: config.clusterName ?? resourceName(args.identity, "pg"),
        engine: "pg",
        version: config.version,
        size: config.size,
        nodeCount: config.nodeCount,
        region: args.region,
        privateNetworkUuid: args.vpcId,
        maintenanceWindows: [{ day: args.maintenanceDay, hour: "19:00:00" }],
        tags,
      },
      { parent: this, protect: args.protect },
    );
    new digitalocean.DatabaseFirewall(
      `${name}-firewall`,
      { clusterId: cluster.id, rules: [{ type: "k8s", value: args.clusterId }] },
      { parent: this },
    );

    const users = Object.fromEntries(
      SERVICE_NAMES.map((service) => [
        service,
        new digitalocean.DatabaseUser(
          `${name}-user-${service}`,
          { clusterId: cluster.id, name: service },
          { parent: this },
        ),
      ]),
    ) as Record<ServiceName, digitalocean.DatabaseUser>;

    const monitoring = new digitalocean.DatabaseUser(
      `${name}-user-${MONITORING_ROLE}`,
      { clusterId: cluster.id, name: MONITORING_ROLE },
      { parent: this },
    );
    // Direct (not pooled) to the maintenance database: the statistics views cover every database, and a
    // PgBouncer pool is tied to one database and one user.
    this.monitoringUri = pulumi.secret(
      pulumi
        .all([cluster.privateHost, cluster.port, monitoring.password])
        .apply(
          ([host, port, password]) =>
            `postgresql://${MONITORING_ROLE}:${encodeURIComponent(password)}@${host}:${port}/defaultdb?sslmode=require`,
        ),
    );

    const uris: { service: ServiceName; uri: pulumi.Output<string> }[] = [];
    for (const { service, database, pool } of databaseNames(config.chatShards)) {
      const db = new digitalocean.DatabaseDb(
        `${name}-db-${database}`,
        { clusterId: cluster.id, name: database },
        { parent: this, protect: args.protect },
      );
      const connectionPool = new digitalocean.DatabaseConnectionPool(
        `${name}-pool-${pool}`,
        {
          clusterId: cluster.id,
          name: pool,
          dbName: db.name,
          user: users[service].name,
          mode: "transaction",
          size: config.poolSize[service],
        },
        { parent: this },
      );
      uris.push({ service, uri: pulumi.secret(connectionPool.privateUri) });
    }
    const uriOf = (service: ServiceName) => uris.filter((u) => u.service === service).map((u) => u.uri);
    this.connectionStrings = {
      auth: uriOf("auth")[0]!,
      meetings: uriOf("meetings")[0]!,
      chat: uriOf("chat"),
    };

    this.clusterUrn = cluster.clusterUrn;
    this.clusterId = cluster.id;
    this.registerOutputs({ connectionStrings: this.connectionStrings, clusterUrn: this.clusterUrn });
  }
}
