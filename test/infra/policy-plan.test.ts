import { execFile } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import type { PlanGraph, PlannedResource } from "../../infra/plan/engine.ts";
import { PROJECT_ROOT, planInline, planStack } from "../../infra/plan/plan.ts";
import { checkPlanPolicies } from "../../infra/plan/policy-check.ts";
import { projectWithStack } from "./stack-helpers.ts";

describe("policies over whole plans", () => {
  it.each(["production", "staging"])("the %s stack file passes every mandatory rule", async (stack) => {
    const violations = checkPlanPolicies(await planStack(stack));
    expect(violations.filter((v) => v.enforcement === "mandatory")).toEqual([]);
  });

  it("an ephemeral stack passes every mandatory rule", async () => {
    const violations = checkPlanPolicies(await planInline({ stack: "eph-bob", environment: "ephemeral" }));
    expect(violations.filter((v) => v.enforcement === "mandatory")).toEqual([]);
  });

  it("an override that opens SSH to the internet is caught, naming the rule and the resource", async () => {
    const graph = await planInline({
      stack: "production",
      environment: "production",
      overrides: { turn: { adminSshCidrs: ["0.0.0.0/0"], sshKeys: ["41424344"] } },
    });
    const violations = checkPlanPolicies(graph);
    const ssh = violations.filter((v) => v.policy === "ssh-not-open-to-internet");
    expect(ssh).toHaveLength(1);
    expect(ssh[0]?.message).toMatch(/opens TCP 22 \(SSH\) to 0\.0\.0\.0\/0/);
    expect(ssh[0]?.urn).toMatch(/digitalocean:index\/firewall:Firewall::/);
  });

  it("npm run plan exits non-zero on that override and names the rule and resource", async () => {
    const root = projectWithStack("production", {});
    writeFileSync(
      join(root, "Pulumi.production.yaml"),
      readFileSync(join(PROJECT_ROOT, "Pulumi.production.yaml"), "utf8").replace(
        "- 203.0.113.10/32",
        "- 0.0.0.0/0",
      ),
    );
    const run = promisify(execFile);
    const result = await run(
      join(PROJECT_ROOT, "node_modules/.bin/tsx"),
      [join(PROJECT_ROOT, "infra/plan/cli.ts"), "--stack", "production"],
      {
        cwd: root,
      },
    ).then(
      () => ({ code: 0, stdout: "", stderr: "" }),
      (e: { code: number; stdout: string; stderr: string }) => e,
    );
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /\[mandatory\] ssh-not-open-to-internet: .* opens TCP 22 \(SSH\) to 0\.0\.0\.0\/0/,
    );
    expect(result.stdout).toMatch(
      /resource: urn:pulumi:production::gomeet::.*digitalocean:index\/firewall:Firewall::/,
    );
    expect(result.stderr).toContain("violates 1 mandatory policy: ssh-not-open-to-internet");
  });
});

/**
 * Each class of first-deploy defect the control-plane test found, reintroduced into a real plan by a small
 * mutation of the recorded graph (or through config), must fail the plan's policy check naming the rule and the
 * resource — the same check `npm run plan` runs (infra/plan/cli.ts).
 */
describe("first-deploy defect classes reintroduced into a plan", () => {
  let staging: PlanGraph;
  let ephemeral: PlanGraph;
  beforeAll(async () => {
    staging = await planInline({ stack: "staging", environment: "staging" });
    ephemeral = await planInline({ stack: "eph-dave", environment: "ephemeral" });
  }, 300_000);

  type Json = Record<string, unknown>;
  const copy = (graph: PlanGraph): PlanGraph => structuredClone(graph);
  const find = (graph: PlanGraph, type: string, test: (r: PlannedResource) => boolean) => {
    const found = graph.resources.find((r) => r.type === type && test(r));
    if (!found) throw new Error(`no ${type} matching in the plan`);
    return found;
  };
  const meta = (r: PlannedResource) => r.inputs.metadata as { name: string; namespace?: string };
  const inNs = (ns: string, name: string) => (r: PlannedResource) =>
    meta(r).namespace === ns && meta(r).name === name;
  const mandatory = (graph: PlanGraph, policy: string) =>
    checkPlanPolicies(graph).filter((v) => v.enforcement === "mandatory" && v.policy === policy);

  it("the unmodified plans pass", () => {
    expect(checkPlanPolicies(staging).filter((v) => v.enforcement === "mandatory")).toEqual([]);
    expect(checkPlanPolicies(ephemeral).filter((v) => v.enforcement === "mandatory")).toEqual([]);
  });

  it("a second resource declaring the same ServiceMonitor", () => {
    const graph = copy(staging);
    const monitor = find(
      graph,
      "kubernetes:monitoring.coreos.com/v1:ServiceMonitor",
      inNs("services", "auth"),
    );
    graph.resources.push({
      ...structuredClone(monitor),
      name: "auth-servicemonitor",
      urn: `${monitor.urn}-again`,
    });
    const found = mandatory(graph, "kubernetes-object-identity-unique");
    expect(found.map((v) => v.urn)).toEqual([`${monitor.urn}-again`]);
    expect(found[0]?.message).toContain("ServiceMonitor services/auth is declared by 2 resources");
  });

  it("a LimitRange max set to the largest request while limits are twice the request", () => {
    const graph = copy(staging);
    const limitRange = find(graph, "kubernetes:core/v1:LimitRange", (r) => meta(r).namespace === "services");
    const entry = (limitRange.inputs.spec as { limits: { max: { cpu: string } }[] }).limits[0]!;
    entry.max.cpu = "250m";
    const found = mandatory(graph, "container-limits-within-limitrange");
    expect(found.length).toBeGreaterThan(0);
    expect(found[0]?.message).toMatch(
      /services\/\w+ container \w+: limit cpu 500m exceeds the LimitRange max 250m/,
    );
    expect(found[0]?.urn).toMatch(/kubernetes:(apps\/v1:Deployment|batch\/v1:Job)::/);
  });

  it("a services quota equal to the HPA maxima (no surge, no migration Jobs)", () => {
    const graph = copy(staging);
    const quota = find(graph, "kubernetes:core/v1:ResourceQuota", inNs("services", "compute"));
    const hpaMax = graph.resources
      .filter(
        (r) =>
          r.type === "kubernetes:autoscaling/v2:HorizontalPodAutoscaler" && meta(r).namespace === "services",
      )
      .reduce((sum, r) => sum + Number((r.inputs.spec as { maxReplicas: number }).maxReplicas), 0);
    (quota.inputs.spec as { hard: Record<string, string> }).hard.pods = String(hpaMax);
    const found = mandatory(graph, "quota-headroom");
    expect(found.map((v) => v.urn)).toEqual([quota.urn]);
    expect(found[0]?.message).toMatch(
      new RegExp(`namespace services: ResourceQuota compute allows pods ${hpaMax}, but`),
    );
  });

  it("a media quota without room for one LiveKit surge pod", () => {
    const graph = copy(staging);
    const quota = find(graph, "kubernetes:core/v1:ResourceQuota", inNs("media", "compute"));
    const livekit = find(graph, "kubernetes:apps/v1:Deployment", inNs("media", "livekit"));
    const pod = (livekit.inputs.spec as { template: { spec: { containers: Json[] } } }).template.spec;
    const sfu = pod.containers.find((c) => c.name === "livekit") as {
      resources: { limits: { cpu: string } };
    };
    const hard = (quota.inputs.spec as { hard: Record<string, string> }).hard;
    hard["limits.cpu"] =
      `${Number.parseInt(hard["limits.cpu"] ?? "0", 10) - Number.parseInt(sfu.resources.limits.cpu, 10)}m`;
    const found = mandatory(graph, "quota-headroom");
    expect(found.map((v) => v.urn)).toEqual([quota.urn]);
    expect(found[0]?.message).toContain("namespace media: ResourceQuota compute allows limits.cpu");
  });

  it("no NodePorts allowed where Traefik's LoadBalancer Service lives", () => {
    const graph = copy(staging);
    const quota = find(graph, "kubernetes:core/v1:ResourceQuota", inNs("gateway", "compute"));
    (quota.inputs.spec as { hard: Record<string, string> }).hard["services.nodeports"] = "0";
    const found = mandatory(graph, "nodeports-within-quota");
    expect(found).toHaveLength(1);
    expect(found[0]?.message).toContain(
      "namespace gateway: ResourceQuota compute allows services.nodeports 0",
    );
    expect(found[0]?.urn).toMatch(/kubernetes:helm\.sh\/v3:Release::gateway-traefik$/);
  });

  it("a ServiceMonitor that no longer waits for the chart installing its CRD", () => {
    const graph = copy(staging);
    const monitor = find(
      graph,
      "kubernetes:monitoring.coreos.com/v1:ServiceMonitor",
      inNs("services", "chat"),
    );
    const release = find(
      graph,
      "kubernetes:helm.sh/v3:Release",
      (r) => r.inputs.chart === "kube-prometheus-stack",
    );
    monitor.dependencies = monitor.dependencies.filter((d) => d !== release.urn);
    const found = mandatory(graph, "custom-resources-after-crds");
    expect(found.map((v) => v.urn)).toEqual([monitor.urn]);
    expect(found[0]?.message).toContain('no matches for kind "ServiceMonitor"');
  });

  it("a media Deployment that no longer waits for its Namespace", () => {
    const graph = copy(staging);
    const egress = find(graph, "kubernetes:apps/v1:Deployment", inNs("media", "egress"));
    egress.dependencies = [];
    const found = mandatory(graph, "namespaced-objects-after-namespace");
    expect(found.map((v) => v.urn)).toEqual([egress.urn]);
    expect(found[0]?.message).toContain("apps/v1 Deployment media/egress does not depend on Namespace media");
  });

  it("a protected DNS zone on an ephemeral stack", () => {
    const graph = copy(ephemeral);
    const zone = find(graph, "digitalocean:index/domain:Domain", () => true);
    expect(zone.protect).toBe(false);
    zone.protect = true;
    const found = mandatory(graph, "no-protect-on-ephemeral");
    expect(found.map((v) => v.urn)).toEqual([zone.urn]);
  });

  it("ignoreChanges on the node count of a fixed-size pool", () => {
    const graph = copy(ephemeral);
    const pool = find(
      graph,
      "digitalocean:index/kubernetesNodePool:KubernetesNodePool",
      (r) => r.inputs.name === "apps",
    );
    expect(pool.inputs.autoScale).toBe(false);
    expect(pool.ignoreChanges).toEqual([]);
    pool.ignoreChanges = ["nodeCount"];
    const found = mandatory(graph, "node-count-ignored-only-when-autoscaled");
    expect(found.map((v) => v.urn)).toEqual([pool.urn]);
  });

  it("a PodDisruptionBudget whose selector also matches the migration Job's pods", () => {
    const graph = copy(staging);
    const budget = find(graph, "kubernetes:policy/v1:PodDisruptionBudget", inNs("services", "auth"));
    const job = find(graph, "kubernetes:batch/v1:Job", (r) => {
      const m = meta(r);
      return m.namespace === "services" && m.name.startsWith("auth-migrate-");
    });
    const selector = (budget.inputs.spec as { selector: { matchLabels: Record<string, string> } }).selector;
    const pod = (job.inputs.spec as { template: { metadata: { labels: Record<string, string> } } }).template;
    expect(mandatory(graph, "disruption-budgets-select-scalable-pods")).toEqual([]);
    Object.assign(pod.metadata.labels, selector.matchLabels);
    const found = mandatory(graph, "disruption-budgets-select-scalable-pods");
    expect(found.map((v) => v.urn)).toEqual([budget.urn]);
    expect(found[0]?.message).toContain(
      `PodDisruptionBudget services/auth also selects the pods of batch/v1 Job services/${meta(job).name}`,
    );
    expect(found[0]?.message).toContain("jobs.batch does not implement the scale subresource");
  });

  it("a migration Job that the TTL controller deletes while every update refreshes first", () => {
    const graph = copy(staging);
    const job = find(graph, "kubernetes:batch/v1:Job", (r) => meta(r).name.startsWith("chat-migrate-"));
    (job.inputs.spec as Json).ttlSecondsAfterFinished = 7 * 24 * 3600;
    const found = mandatory(graph, "jobs-kept-after-finishing");
    expect(found.map((v) => v.urn)).toEqual([job.urn]);
    expect(found[0]?.message).toContain("sets ttlSecondsAfterFinished 604800");
  });

  it("Prometheus without resources of its own (the namespace's LimitRange default OOM-kills it)", () => {
    const graph = copy(staging);
    const release = find(
      graph,
      "kubernetes:helm.sh/v3:Release",
      (r) => r.inputs.chart === "kube-prometheus-stack",
    );
    const spec = (release.inputs.values as { prometheus: { prometheusSpec: Json } }).prometheus
      .prometheusSpec;
    delete spec.resources;
    const found = mandatory(graph, "workload-resources");
    expect(found.map((v) => v.urn)).toEqual([release.urn, release.urn]);
    expect(found[0]?.message).toMatch(
      /^prometheus \(Helm release [\w-]+\) container prometheus has no cpu and memory requests$/,
    );
  });

  it("a monitoring storage quota of one Prometheus volume plus 10 GiB while two replicas each claim one", () => {
    const graph = copy(staging);
    const release = find(
      graph,
      "kubernetes:helm.sh/v3:Release",
      (r) => r.inputs.chart === "kube-prometheus-stack",
    );
    const spec = (release.inputs.values as { prometheus: { prometheusSpec: Json } }).prometheus
      .prometheusSpec;
    const claim = spec.storageSpec as {
      volumeClaimTemplate: { spec: { resources: { requests: { storage: string } } } };
    };
    const perReplicaGi = Number.parseInt(claim.volumeClaimTemplate.spec.resources.requests.storage, 10);
    spec.replicas = 2;
    const quota = find(graph, "kubernetes:core/v1:ResourceQuota", inNs("monitoring", "compute"));
    const hard = (quota.inputs.spec as { hard: Record<string, string> }).hard;
    hard["requests.storage"] = `${perReplicaGi + 10}Gi`;
    hard.persistentvolumeclaims = "2";
    const found = mandatory(graph, "quota-headroom");
    expect(found.map((v) => v.urn)).toEqual([quota.urn]);
    expect(found[0]?.message).toContain(
      `namespace monitoring: ResourceQuota compute allows requests.storage ${perReplicaGi + 10}Gi, but its workloads need ${2 * perReplicaGi}Gi`,
    );
  });

  it("npm run plan exits non-zero on a DOKS pin past its end of support, naming the rule and the cluster", async () => {
    const root = projectWithStack("staging", {
      "gomeet:environment": "staging",
      "gomeet:overrides": { cluster: { version: "1.34.1-do.0" } },
    });
    const result = await promisify(execFile)(
      join(PROJECT_ROOT, "node_modules/.bin/tsx"),
      [join(PROJECT_ROOT, "infra/plan/cli.ts"), "--stack", "staging"],
      { cwd: root },
    ).then(
      () => ({ code: 0, stdout: "", stderr: "" }),
      (e: { code: number; stdout: string; stderr: string }) => e,
    );
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /\[mandatory\] doks-version-supported: cluster-doks: DOKS 1\.34 \(pinned 1\.34\.1-do\.0\) reached end of support on 2026-10-27/,
    );
    expect(result.stdout).toMatch(/resource: urn:pulumi:staging::gomeet::.*KubernetesCluster::cluster-doks/);
    expect(result.stderr).toContain("doks-version-supported");
  }, 300_000);
});
