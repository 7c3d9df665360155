import { describe, expect, it } from "vitest";
import { POOL_LABEL } from "../../components/cluster/node-pools.ts";
import { Postgres } from "../../components/data/postgres.ts";
import { Valkey } from "../../components/data/valkey.ts";
import type { PlanGraph } from "../../infra/plan/engine.ts";
import { recordProgram } from "../../infra/plan/engine.ts";
import { fakeUuid } from "../../infra/plan/fake-outputs.ts";
import { planInline } from "../../infra/plan/plan.ts";
import { TAG_SELECTOR_TYPES } from "../../policies/cloud-rules.ts";
import { loadPlatformConfig } from "../../stacks/loader.ts";
import type { PlatformConfig } from "../../stacks/schema.ts";
import { named, ofType, TYPES } from "./stack-helpers.ts";

const STACKS = [
  { stack: "production", environment: "production" },
  { stack: "staging", environment: "staging" },
  { stack: "eph-alice", environment: "ephemeral" },
] as const;

/** The id the fake engine gives a resource: what other resources must reference to be wired to it. */
function idOf(graph: PlanGraph, type: string, name: string): string {
  const r = named(graph, type, name);
  return fakeUuid(`${r.type}::${r.name}`);
}

describe.each(STACKS)("cloud layer — $stack", ({ stack, environment }) => {
  let graph: PlanGraph;
  let config: PlatformConfig;
  const production = environment === "production";

  it("plans", async () => {
    graph = await planInline({ stack, environment });
    config = loadPlatformConfig({ environment, stack });
    expect(graph.resources.length).toBeGreaterThan(20);
  });

  it("puts the cluster and databases in the stack's VPC", () => {
    const vpc = named(graph, TYPES.vpc, "network-vpc");
    expect(vpc.inputs.ipRange).toBe(config.network.vpcCidr);
    expect(vpc.inputs.region).toBe("sgp1");
    const vpcId = idOf(graph, TYPES.vpc, "network-vpc");
    const doks = named(graph, TYPES.cluster, "cluster-doks");
    expect(doks.inputs.vpcUuid).toBe(vpcId);
    expect(doks.dependencies).toContain(vpc.urn);
    expect(doks.inputs.clusterSubnet).toBe(config.network.clusterSubnet);
    expect(doks.inputs.serviceSubnet).toBe(config.network.serviceSubnet);
    for (const db of ofType(graph, TYPES.database)) expect(db.inputs.privateNetworkUuid).toBe(vpcId);
  });

  it("sizes, labels, taints and bounds every node pool from config", () => {
    const doks = named(graph, TYPES.cluster, "cluster-doks");
    const system = doks.inputs.nodePool as Record<string, unknown>;
    expect(system).toMatchObject({
      name: "system",
      size: config.cluster.pools.system.size,
      minNodes: config.cluster.pools.system.minNodes,
      maxNodes: config.cluster.pools.system.maxNodes,
      labels: { [POOL_LABEL]: "system" },
    });
    for (const role of ["apps", "media", "egress"] as const) {
      const pool = named(graph, TYPES.nodePool, `cluster-${role}`);
      const wanted = config.cluster.pools[role];
      expect(pool.inputs).toMatchObject({
        name: role,
        size: wanted.size,
        minNodes: wanted.minNodes,
        maxNodes: wanted.maxNodes,
      });
      expect(pool.inputs.autoScale).toBe(wanted.maxNodes > wanted.minNodes);
      expect(pool.inputs.clusterId).toBe(idOf(graph, TYPES.cluster, "cluster-doks"));
      expect((pool.inputs.labels as Record<string, string>)[POOL_LABEL]).toBe(role);
    }
    expect(named(graph, TYPES.nodePool, "cluster-media").inputs.taints).toEqual([
      { key: "gomeet.io/media", value: "livekit", effect: "NoSchedule" },
    ]);
    expect(named(graph, TYPES.nodePool, "cluster-egress").inputs.taints).toEqual([
      { key: "gomeet.io/egress", value: "recording", effect: "NoSchedule" },
    ]);
    expect(named(graph, TYPES.nodePool, "cluster-apps").inputs.taints).toEqual([]);
  });

  it("pins the cluster version and builds a Kubernetes provider with a stable identifier", () => {
    const doks = named(graph, TYPES.cluster, "cluster-doks");
    expect(doks.inputs.version).toMatch(/^\d+\.\d+\.\d+-do\.\d+$/);
    expect(doks.inputs.kubeconfigExpireSeconds).toBe(config.cluster.kubeconfigExpireSeconds);
    expect(doks.inputs.maintenancePolicy).toMatchObject({ day: config.cluster.maintenanceWindow.day });
    expect(doks.inputs.registryIntegration).toBe(true);
    const provider = named(graph, "pulumi:providers:kubernetes", "cluster-k8s");
    expect(provider.inputs.clusterIdentifier).toBe(`doks-${idOf(graph, TYPES.cluster, "cluster-doks")}`);
    expect(provider.secretInputs).toContain("kubeconfig");
  });

  it(`${production ? "runs" : "does not run"} highly available`, () => {
    const doks = named(graph, TYPES.cluster, "cluster-doks");
    expect(doks.inputs.ha).toBe(production);
    expect(doks.inputs.surgeUpgrade).toBe(config.cluster.surgeUpgrade);
    const pg = named(graph, TYPES.database, "postgres-cluster");
    const valkey = named(graph, TYPES.database, "valkey-cluster");
    expect(pg.inputs.nodeCount).toBe(production ? 2 : 1);
    expect(valkey.inputs.nodeCount).toBe(production ? 2 : 1);
    // No read replica on any stack: nothing reads from one (docs/data.md).
    expect(ofType(graph, TYPES.replica)).toHaveLength(0);
    expect(doks.protect).toBe(production);
    expect(pg.protect).toBe(production);
  });

  it("runs PostgreSQL with a user, database and transaction pool per service and chat shard", () => {
    const pg = named(graph, TYPES.database, "postgres-cluster");
    expect(pg.inputs).toMatchObject({
      engine: "pg",
      version: config.postgres.version,
      size: config.postgres.size,
    });
    const pools = ofType(graph, TYPES.pool);
    const shards = Array.from({ length: config.postgres.chatShards }, (_, i) => `chat-s${i}`);
    expect(pools.map((p) => p.inputs.name).sort()).toEqual(["auth", "meetings", ...shards].sort());
    for (const pool of pools) {
      expect(pool.inputs.mode).toBe("transaction");
      const service = String(pool.inputs.name).startsWith("chat") ? "chat" : String(pool.inputs.name);
      expect(pool.inputs.user).toBe(service);
      expect(pool.inputs.size).toBe(config.postgres.poolSize[service as "auth" | "meetings" | "chat"]);
    }
  });

  it("runs Valkey 8 with noeviction", () => {
    expect(named(graph, TYPES.database, "valkey-cluster").inputs).toMatchObject({
      engine: "valkey",
      version: "8",
      evictionPolicy: "noeviction",
    });
  });

  it("admits only this cluster to PostgreSQL and Valkey", () => {
    const clusterId = idOf(graph, TYPES.cluster, "cluster-doks");
    const firewalls = ofType(graph, TYPES.databaseFirewall);
    // LiveKit's Valkey and one per app shard (valkey.shards; docs/data.md).
    const shards = Array.from({ length: config.valkey.shards }, (_, i) => `valkey-app-${i}-firewall`);
    expect(firewalls.map((f) => f.name).sort()).toEqual(
      ["postgres-firewall", "valkey-firewall", ...shards].sort(),
    );
    for (const shard of ["valkey", ...shards.map((f) => f.replace(/-firewall$/, ""))]) {
      expect(
        named(graph, "digitalocean:index/databaseValkeyConfig:DatabaseValkeyConfig", `${shard}-config`)
          .inputs,
      ).toMatchObject({ persistence: "rdb" });
    }
    for (const fw of firewalls) expect(fw.inputs.rules).toEqual([{ type: "k8s", value: clusterId }]);
    expect(named(graph, TYPES.databaseFirewall, "postgres-firewall").inputs.clusterId).toBe(
      idOf(graph, TYPES.database, "postgres-cluster"),
    );
  });

  it("tags every taggable resource with the stack tag", () => {
    // Firewalls and monitor alerts use tags to select Droplets, not as labels (policies/cloud-rules.ts).
    const tagged = graph.resources.filter(
      (r) => Array.isArray(r.inputs.tags) && !TAG_SELECTOR_TYPES.has(r.type),
    );
    expect(tagged.length).toBeGreaterThanOrEqual(6);
    for (const r of tagged) expect(r.inputs.tags, r.urn).toContain(`stack:${stack}`);
    const doks = named(graph, TYPES.cluster, "cluster-doks");
    expect((doks.inputs.nodePool as { tags: string[] }).tags).toContain(`stack:${stack}`);
  });

  it("keeps the stack's resources in one DigitalOcean project of the right environment", () => {
    const project = named(graph, TYPES.project, "project-project");
    expect(project.inputs.environment).toBe(
      { production: "Production", staging: "Staging", ephemeral: "Development" }[environment],
    );
    const held = named(graph, TYPES.projectResources, "project-resources").inputs.resources as string[];
    const clusterId = idOf(graph, TYPES.cluster, "cluster-doks");
    expect(held).toContain(`do:kubernetes:${clusterId}`);
    expect(held).toContain(`do:dbaas:${idOf(graph, TYPES.database, "postgres-cluster")}`);
    expect(held).toContain(`do:dbaas:${idOf(graph, TYPES.database, "valkey-cluster")}`);
    expect(held.filter((u) => u.startsWith("do:space:"))).toHaveLength(2);
  });

  it("serves the web app through the CDN on meet.<domain> and expires recordings", () => {
    const cdn = named(graph, "digitalocean:index/cdn:Cdn", "storage-cdn");
    expect(cdn.inputs.customDomain).toBe(`meet.${config.domain}`);
    expect(cdn.inputs.ttl).toBe(config.cdn.ttlSeconds);
    expect(cdn.inputs.origin).toMatch(/\.sgp1\.digitaloceanspaces\.com$/);
    const cert = named(graph, "digitalocean:index/certificate:Certificate", "storage-cdn-cert");
    expect(cert.inputs).toMatchObject({ type: "lets_encrypt", domains: [`meet.${config.domain}`] });
    const recordings = named(graph, "digitalocean:index/spacesBucket:SpacesBucket", "storage-recordings");
    expect(recordings.inputs.acl).toBe("private");
    expect(recordings.inputs.lifecycleRules).toEqual([
      expect.objectContaining({ enabled: true, expiration: { days: config.cdn.recordingRetentionDays } }),
    ]);
    const egressKey = named(graph, "digitalocean:index/spacesKey:SpacesKey", "storage-egress-key");
    expect(egressKey.inputs.grants).toEqual([
      { bucket: `gomeet-${stack}-recordings`, permission: "readwrite" },
    ]);
  });

  it(`${production ? "owns" : "references"} the container registry`, () => {
    expect(ofType(graph, "digitalocean:index/containerRegistry:ContainerRegistry")).toHaveLength(
      production ? 1 : 0,
    );
  });
});

describe("data-layer outputs", () => {
  it("hands connection strings out only as secrets", async () => {
    const config = loadPlatformConfig({ environment: "production" });
    const identity = { stack: "t", tags: ["stack:t"] };
    const graph = await recordProgram({
      project: "gomeet",
      stack: "t",
      config: {},
      secretKeys: [],
      program: () => {
        const pg = new Postgres("pg", {
          identity,
          region: "sgp1",
          vpcId: "vpc",
          clusterId: "k8s",
          postgres: config.postgres,
          maintenanceDay: "sunday",
          protect: false,
        });
        const vk = new Valkey("vk", {
          identity,
          region: "sgp1",
          vpcId: "vpc",
          clusterId: "k8s",
          valkey: config.valkey,
          maintenanceDay: "sunday",
          protect: false,
          persistence: "rdb",
        });
        return {
          auth: pg.connectionStrings.auth,
          meetings: pg.connectionStrings.meetings,
          chat: pg.connectionStrings.chat,
          valkey: vk.uri,
          valkeyPassword: vk.password,
        };
      },
    });
    expect(graph.secretOutputs).toEqual(
      expect.arrayContaining(["auth", "meetings", "chat[0]", "chat[1]", "valkey", "valkeyPassword"]),
    );
    expect(JSON.stringify(graph.outputs)).not.toMatch(/postgresql:\/\/|rediss:\/\//);
  });
});
