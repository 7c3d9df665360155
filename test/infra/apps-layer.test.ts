import { describe, expect, it } from "vitest";
import { readAuthEnv } from "../../apps/auth/src/config.ts";
import { readChatEnv } from "../../apps/chat/src/config.ts";
import { readMeetingsEnv } from "../../apps/meetings/src/config.ts";
import { migrationJobName } from "../../components/apps/workload-spec.ts";
import { MEDIA_SCALE_LEAD_SECONDS } from "../../components/media/livekit-autoscaling.ts";
import { diffPlans } from "../../infra/plan/diff.ts";
import type { PlanGraph, PlannedResource } from "../../infra/plan/engine.ts";
import { toPlanDocument } from "../../infra/plan/graph-json.ts";
import { planInline } from "../../infra/plan/plan.ts";
import { loadPlatformConfig } from "../../stacks/loader.ts";
import { named, ofType } from "./stack-helpers.ts";

const STACKS = [
  { stack: "production", environment: "production" },
  { stack: "staging", environment: "staging" },
  { stack: "eph-carol", environment: "ephemeral" },
] as const;

type Json = Record<string, unknown>;
const spec = (r: PlannedResource) => r.inputs.spec as Json;
const podSpec = (r: PlannedResource) => (spec(r).template as Json).spec as Json;
const container = (r: PlannedResource) => (podSpec(r).containers as Json[])[0]!;

/** What each service's Secret must hold (names only: the values are secrets) and where the values come from. */
const SECRET_CONTRACT = {
  auth: { keys: ["AUTH_SIGNING_KEYS", "DATABASE_URL", "REDIS_URL"], pools: ["postgres-pool-auth"] },
  meetings: {
    keys: [
      "DATABASE_URL",
      "LIVEKIT_API_KEY",
      "LIVEKIT_API_SECRET",
      "RECORDINGS_ACCESS_KEY",
      "RECORDINGS_SECRET_KEY",
      "REDIS_URL",
      "REDIS_SHARD_URLS",
    ],
    pools: ["postgres-pool-meetings"],
  },
  // One pool per chat shard; the stack's config says how many (postgres.chatShards).
  chat: { keys: ["CHAT_SHARD_URLS", "REDIS_URL", "REDIS_SHARD_URLS"], pools: "chat shards" },
} as const;

/** Each service's own environment reader: what the pod's env must satisfy at start. */
const READERS: Record<string, (env: Record<string, string | undefined>) => unknown> = {
  auth: readAuthEnv,
  meetings: readMeetingsEnv,
  chat: readChatEnv,
};

/** A syntactically valid stand-in for a secret the plan never shows, by its variable's name. */
function standIn(key: string): string {
  if (key === "CHAT_SHARD_URLS")
    return "postgresql://chat:pw@pool:25061/chat-s0,postgresql://chat:pw@pool:25061/chat-s1";
  if (key === "DATABASE_URL") return "postgresql://svc:pw@pool:25061/db?sslmode=require";
  if (key === "REDIS_URL") return "rediss://default:pw@valkey:25061";
  if (key === "REDIS_SHARD_URLS")
    return "rediss://default:pw@valkey-0:25061,rediss://default:pw@valkey-1:25061";
  if (key === "AUTH_SIGNING_KEYS") return '{"keys":[]}';
  return "x".repeat(40);
}

describe.each(STACKS)("apps layer — $stack", ({ stack, environment }) => {
  let graph: PlanGraph;
  const config = loadPlatformConfig({ environment, stack });

  it("plans", async () => {
    graph = await planInline({ stack, environment });
  });

  for (const [service, contract] of Object.entries(SECRET_CONTRACT)) {
    it(`${service}: the Secret holds exactly its keys, wired from its own pool and nothing else's`, () => {
      const secret = named(graph, "kubernetes:core/v1:Secret", `${service}-env`);
      const data = secret.inputs.stringData as Json;
      expect(Object.keys(data).sort()).toEqual([...contract.keys].sort());
      for (const key of contract.keys) expect(secret.secretInputs).toContain(`stringData.${key}`);
      const pools = graph.resources.filter(
        (r) => r.type === "digitalocean:index/databaseConnectionPool:DatabaseConnectionPool",
      );
      const expected: readonly string[] =
        contract.pools === "chat shards"
          ? Array.from({ length: config.postgres.chatShards }, (_, i) => `postgres-pool-chat-s${i}`)
          : contract.pools;
      const owned = (p: PlannedResource) => expected.includes(p.name);
      expect(pools.filter(owned)).toHaveLength(expected.length);
      for (const pool of pools.filter(owned)) expect(secret.dependencies).toContain(pool.urn);
      for (const other of pools.filter((p) => !owned(p)))
        expect(secret.dependencies).not.toContain(other.urn);
      expect(secret.dependencies).toContain(
        named(graph, "digitalocean:index/databaseCluster:DatabaseCluster", "valkey-app-0-cluster").urn,
      );
    });

    it(`${service}: the pod's environment satisfies the service's own env schema`, () => {
      const deployment = named(graph, "kubernetes:apps/v1:Deployment", `${service}-deployment`);
      const env: Record<string, string> = Object.fromEntries(
        (container(deployment).env as Json[]).map((e) => [String(e.name), String(e.value)]),
      );
      for (const key of contract.keys) env[key] = standIn(key);
      expect(() => READERS[service]!(env)).not.toThrow();
    });

    it(`${service}: runs its migration Job for this image tag before the Deployment`, () => {
      const job = named(graph, "kubernetes:batch/v1:Job", `${service}-migrate`);
      const deployment = named(graph, "kubernetes:apps/v1:Deployment", `${service}-deployment`);
      expect((job.inputs.metadata as Json).name).toBe(migrationJobName(service, config.services.imageTag));
      expect(deployment.dependencies).toContain(job.urn);
      // The compiled entry points the image holds (apps/Dockerfile), not TypeScript through a loader.
      expect(container(job).command).toEqual([
        "node",
        "--enable-source-maps",
        `apps/${service}/src/migrate.js`,
      ]);
      expect(container(deployment).command).toEqual([
        "node",
        "--enable-source-maps",
        `apps/${service}/src/server.js`,
      ]);
      expect(container(job).image).toBe(
        `registry.digitalocean.com/gomeet/${service}:${config.services.imageTag}`,
      );
      expect(container(deployment).image).toBe(container(job).image);
      expect(spec(job).backoffLimit).toBe(2);
    });

    it(`${service}: probes, resources, spread, hardened security context, drain timing`, () => {
      const deployment = named(graph, "kubernetes:apps/v1:Deployment", `${service}-deployment`);
      const c = container(deployment);
      expect(c.readinessProbe).toMatchObject({ httpGet: { path: "/readyz", port: "http" } });
      expect(c.livenessProbe).toMatchObject({ httpGet: { path: "/healthz", port: "http" } });
      const scale = config.services[service as keyof typeof SECRET_CONTRACT];
      expect(c.resources).toEqual({
        requests: { cpu: scale.cpu, memory: scale.memory },
        limits: { cpu: expect.stringMatching(/^\d+m$/), memory: scale.memory },
      });
      expect(c.securityContext).toEqual({
        runAsNonRoot: true,
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ["ALL"] },
      });
      expect(podSpec(deployment).securityContext).toMatchObject({
        runAsNonRoot: true,
        seccompProfile: { type: "RuntimeDefault" },
      });
      expect(podSpec(deployment).topologySpreadConstraints).toEqual([
        expect.objectContaining({ topologyKey: "kubernetes.io/hostname", maxSkew: 1 }),
      ]);
      expect(spec(deployment).strategy).toEqual({
        type: "RollingUpdate",
        rollingUpdate: { maxSurge: 1, maxUnavailable: 0 },
      });
      expect(spec(deployment).replicas).toBeUndefined();
      const preStop = ((c.lifecycle as Json).preStop as Json).sleep as Json;
      const env = Object.fromEntries((c.env as Json[]).map((e) => [e.name, e.value]));
      const drainSeconds = Number(env.SHUTDOWN_DRAIN_MS) / 1000;
      expect(Number(podSpec(deployment).terminationGracePeriodSeconds)).toBeGreaterThan(
        Number(preStop.seconds) + drainSeconds,
      );
      expect(env.DATABASE_PREPARE).toBe("false");
      expect(c.envFrom).toEqual([{ secretRef: { name: `${service}-env` } }]);
    });

    it(`${service}: Service, HPA, PDB (not selecting the migration Job's pods) and one ServiceMonitor`, () => {
      const svc = named(graph, "kubernetes:core/v1:Service", `${service}-service`);
      expect(spec(svc).ports).toEqual([{ name: "http", port: 8080, targetPort: "http", protocol: "TCP" }]);
      const hpa = named(graph, "kubernetes:autoscaling/v2:HorizontalPodAutoscaler", `${service}-hpa`);
      const scale = config.services[service as "auth"];
      expect(spec(hpa)).toMatchObject({ minReplicas: scale.minReplicas, maxReplicas: scale.maxReplicas });
      expect(spec(hpa).scaleTargetRef).toEqual({ apiVersion: "apps/v1", kind: "Deployment", name: service });
      const pdb = spec(named(graph, "kubernetes:policy/v1:PodDisruptionBudget", `${service}-pdb`));
      expect(pdb).toMatchObject({ maxUnavailable: 1 });
      // The disruption controller cannot count Job pods (jobs.batch has no scale subresource): the PDB, like the
      // Service and the HPA's Deployment, selects the service's pods only.
      const selector = (pdb.selector as { matchLabels: Record<string, string> }).matchLabels;
      const deploymentLabels = (
        (spec(named(graph, "kubernetes:apps/v1:Deployment", `${service}-deployment`)).template as Json)
          .metadata as { labels: Record<string, string> }
      ).labels;
      const job = named(graph, "kubernetes:batch/v1:Job", `${service}-migrate`);
      const jobPodLabels = ((spec(job).template as Json).metadata as { labels: Record<string, string> })
        .labels;
      const selects = (labels: Record<string, string>) =>
        Object.entries(selector).every(([k, v]) => labels[k] === v);
      expect(selects(deploymentLabels)).toBe(true);
      expect(selects(jobPodLabels)).toBe(false);
      // No TTL: with `refresh: always`, a Job the TTL controller deleted would be created again by the next up.
      expect(spec(job).ttlSecondsAfterFinished).toBeUndefined();
      // The monitoring component owns the service's ServiceMonitor; a second one would fail with AlreadyExists.
      const monitors = ofType(graph, "kubernetes:monitoring.coreos.com/v1:ServiceMonitor").filter(
        (m) =>
          (m.inputs.metadata as Json).namespace === "services" &&
          (m.inputs.metadata as Json).name === service,
      );
      expect(monitors.map((m) => m.name)).toEqual([`monitoring-servicemonitor-${service}`]);
      expect((spec(monitors[0]!).endpoints as Json[])[0]).toMatchObject({ port: "http", path: "/metrics" });
    });
  }

  it("lets services reach the databases only through the pooled port", () => {
    const policy = graph.resources.find(
      (r) =>
        r.type === "kubernetes:networking.k8s.io/v1:NetworkPolicy" &&
        (r.inputs.metadata as Json).name === "allow-databases",
    )!;
    const egress = (spec(policy).egress as Json[])[0]!;
    expect((egress.ports as Json[]).map((p) => p.port)).toEqual([25061]);
  });

  it("tells meetings the media fleet's scaling lead time", () => {
    const deployment = named(graph, "kubernetes:apps/v1:Deployment", "meetings-deployment");
    const env = Object.fromEntries((container(deployment).env as Json[]).map((e) => [e.name, e.value]));
    expect(env.MEETINGS_SCALE_LEAD_SECONDS).toBe(String(MEDIA_SCALE_LEAD_SECONDS));
    expect(env.MEETINGS_NODE_PARTICIPANTS).toBe(String(config.media.participantsPerMeeting));
  });

  it("generates auth's ES256 signing key in the stack and never shows it", () => {
    const key = named(graph, "tls:index/privateKey:PrivateKey", "auth-signing-keys-2026-11");
    expect(key.inputs).toMatchObject({ algorithm: "ECDSA", ecdsaCurve: "P256" });
    const deployment = named(graph, "kubernetes:apps/v1:Deployment", "auth-deployment");
    const env = Object.fromEntries((container(deployment).env as Json[]).map((e) => [e.name, e.value]));
    expect(env.AUTH_SIGNING_KID).toBe("gomeet-2026-11");
    expect(env.AUTH_ISSUER).toBe(`https://api.${config.domain}`);
  });
});

describe("a new image tag", () => {
  it("changes only the images, the migration Jobs and the annotation that names them", async () => {
    const base = toPlanDocument(await planInline({ stack: "staging", environment: "staging" }));
    const head = toPlanDocument(
      await planInline({
        stack: "staging",
        environment: "staging",
        overrides: { services: { imageTag: "2026.12.01-abcdef1" } },
      }),
    );
    const diff = diffPlans(base, head);
    expect(diff.added).toEqual([]);
    expect(diff.removed).toEqual([]);
    const byName = Object.fromEntries(diff.changed.map((c) => [c.name, c.changes.map((p) => p.path)]));
    const image = "spec.template.spec.containers[0].image";
    expect(byName["auth-deployment"]?.sort()).toEqual(
      [image, "spec.template.metadata.annotations.gomeet.io/migration"].sort(),
    );
    expect(byName["auth-migrate"]?.sort()).toEqual(["metadata.name", image].sort());
    // The TURN prober is our image too and follows the same tag.
    for (const service of ["meetings", "chat"]) {
      expect(byName[`${service}-deployment`]?.sort()).toEqual(byName["auth-deployment"]);
      expect(byName[`${service}-migrate`]?.sort()).toEqual(byName["auth-migrate"]);
    }
    const others = Object.keys(byName).filter((n) => !/^(auth|meetings|chat)-(deployment|migrate)$/.test(n));
    // The TURN prober is our image too and follows the same tag.
    expect(others).toEqual(["turn-prober-deployment"]);
  });
});
