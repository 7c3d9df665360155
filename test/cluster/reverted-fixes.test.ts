import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PlanGraph, PlannedResource } from "../../infra/plan/engine.ts";
import { planStack } from "../../infra/plan/plan.ts";
import { parseCpu } from "../../policies/pod-demand.ts";
import { type ControlPlane, startControlPlane } from "../support/control-plane.ts";
import { chartSource } from "./charts.ts";
import { type DeployResult, deploySteps, poll } from "./deploy.ts";
import { KubeClient } from "./kube-client.ts";
import { type PlanStep, planToManifests } from "./manifests.ts";
import { nodesFromPlan } from "./nodes.ts";
import { DOKS_DEFAULTS } from "./stack-in-cluster.ts";
import { eventText, settledWorkloadProblems, workloadsOf } from "./workloads.ts";

/**
 * First-deploy fixes reverted in the staging plan, and the real API server's own words for each: the other half
 * of what the stack tests prove (with the fixes in place the same objects are admitted, test/cluster/staging.test.ts).
 * The rules that catch the same classes offline are reintroduced in test/infra/policy-plan.test.ts.
 *
 * Four reversions, in namespaces that do not hide each other:
 * - the auth migration Job's pods carry the service's name label again (defect 13): the PodDisruptionBudget also
 *   selects them and the disruption controller cannot count the expected pods;
 * - a second resource declares the auth PodDisruptionBudget (defect 3's class: one object, two resources);
 * - the egress Deployment no longer waits for the media Namespace (defect 6);
 * - the gateway quota allows no NodePorts while Traefik's Service is a LoadBalancer (defect 1).
 * Only the namespaces these touch are created (and the cluster-wide objects their pods need), with Traefik the
 * one chart rendered; custom resources are left out, as their CRDs' charts are not installed here.
 */

const NAMESPACES = new Set(["services", "media", "gateway"]);
const BUILT_IN_GROUPS = new Set([
  "",
  "apps",
  "batch",
  "policy",
  "autoscaling",
  "networking.k8s.io",
  "rbac.authorization.k8s.io",
  "scheduling.k8s.io",
  "storage.k8s.io",
]);

type Json = Record<string, unknown>;
const meta = (r: PlannedResource) => r.inputs.metadata as { name: string; namespace?: string };
function find(graph: PlanGraph, type: string, test: (r: PlannedResource) => boolean): PlannedResource {
  const found = graph.resources.find((r) => r.type === type && test(r));
  if (!found) throw new Error(`no ${type} matching in the staging plan`);
  return found;
}

/** The staging plan with the four fixes reverted, and the URNs of the resources that differ from it. */
function revertFixes(plan: PlanGraph): { graph: PlanGraph; changed: string[] } {
  const graph = structuredClone(plan);
  const inServices = (name: string) => (r: PlannedResource) =>
    meta(r).namespace === "services" && meta(r).name === name;
  const budget = find(graph, "kubernetes:policy/v1:PodDisruptionBudget", inServices("auth"));
  const job = find(
    graph,
    "kubernetes:batch/v1:Job",
    (r) => meta(r).namespace === "services" && meta(r).name.startsWith("auth-migrate-"),
  );
  const selector = (budget.inputs.spec as { selector: { matchLabels: Record<string, string> } }).selector;
  const template = (job.inputs.spec as { template: { metadata: { labels: Record<string, string> } } })
    .template;
  Object.assign(template.metadata.labels, selector.matchLabels);

  graph.resources.push({ ...structuredClone(budget), name: "auth-pdb-again", urn: `${budget.urn}-again` });

  const egress = find(
    graph,
    "kubernetes:apps/v1:Deployment",
    (r) => meta(r).namespace === "media" && meta(r).name === "egress",
  );
  egress.dependencies = [];

  const gatewayQuota = find(
    graph,
    "kubernetes:core/v1:ResourceQuota",
    (r) => meta(r).namespace === "gateway" && meta(r).name === "compute",
  );
  (gatewayQuota.inputs.spec as { hard: Record<string, string> }).hard["services.nodeports"] = "0";
  return { graph, changed: [job.urn, `${budget.urn}-again`, egress.urn, gatewayQuota.urn] };
}

/**
 * The staging plan with the services LimitRange's max at the largest container request (defect 2: the limits
 * are twice the request), as it was before the fix.
 */
function revertLimitRange(plan: PlanGraph): { graph: PlanGraph; max: string } {
  const graph = structuredClone(plan);
  const requests = graph.resources
    .filter((r) => r.type === "kubernetes:apps/v1:Deployment" && meta(r).namespace === "services")
    .flatMap(
      (r) => (r.inputs.spec as { template: { spec: { containers: Json[] } } }).template.spec.containers,
    )
    .map((c) => parseCpu(((c.resources as Json).requests as Json).cpu) ?? 0);
  const max = `${Math.max(...requests)}m`;
  const limitRange = find(graph, "kubernetes:core/v1:LimitRange", (r) => meta(r).namespace === "services");
  const entry = (limitRange.inputs.spec as { limits: { type: string; max: Json }[] }).limits.find(
    (l) => l.type === "Container",
  );
  if (!entry) throw new Error("the services LimitRange has no Container entry");
  entry.max.cpu = max;
  return { graph, max };
}

/** The steps for the given namespaces, the cluster-wide built-in objects, and the Traefik release. */
function touchedSteps(steps: PlanStep[], namespaces: Set<string>): PlanStep[] {
  return steps.filter((step) => {
    if (step.kind === "release")
      return namespaces.has(step.release.namespace) && step.release.chart === "traefik";
    const { apiVersion, kind, metadata } = step.object;
    const group = apiVersion.includes("/") ? (apiVersion.split("/")[0] ?? "") : "";
    if (!BUILT_IN_GROUPS.has(group)) return false;
    if (kind === "Namespace") return namespaces.has(String(metadata?.name));
    return metadata?.namespace === undefined || namespaces.has(metadata.namespace);
  });
}

interface InCluster {
  client: KubeClient;
  result: DeployResult;
  refusals: string[];
}

/** A fresh control plane per scenario, with the given namespaces of the graph created in the engine's order. */
function createInCluster(graph: () => Promise<PlanGraph>, namespaces: Set<string>): InCluster {
  const context = {} as InCluster;
  let plane: ControlPlane | undefined;
  beforeAll(async () => {
    const plan = await graph();
    const cluster = plan.resources.find(
      (r) => r.type === "digitalocean:index/kubernetesCluster:KubernetesCluster",
    );
    const serviceSubnet = cluster?.inputs.serviceSubnet;
    plane = await startControlPlane(
      typeof serviceSubnet === "string" ? { serviceClusterIpRange: serviceSubnet } : {},
    );
    context.client = new KubeClient(plane);
    await context.client.discover();
    for (const object of [...DOKS_DEFAULTS, ...nodesFromPlan(plan)]) {
      const refusal = await context.client.create(object);
      if (refusal)
        throw new Error(`cluster set-up: ${object.kind} ${object.metadata?.name}: ${refusal.message}`);
    }
    context.result = await deploySteps(
      context.client,
      touchedSteps(planToManifests(plan), namespaces),
      chartSource(),
    );
    context.refusals = context.result.refused.map((r) => `${r.key}: ${r.message}`);
  }, 600_000);
  afterAll(async () => {
    await plane?.stop();
  }, 60_000);
  return context;
}

describe("first-deploy fixes reverted: the API server refuses with its own words", () => {
  const cluster = createInCluster(async () => revertFixes(await planStack("staging")).graph, NAMESPACES);

  it("a second resource declaring the same PodDisruptionBudget: AlreadyExists", () => {
    const again = cluster.result.refused.filter((r) => r.from.endsWith("-again"));
    expect(again.map((r) => `${r.key}: ${r.message}`)).toEqual([
      expect.stringMatching(
        /^PodDisruptionBudget\.policy services\/auth: .*poddisruptionbudgets\.policy "auth" already exists/,
      ),
    ]);
  });

  it('a media Deployment that does not wait for its Namespace: namespaces "media" not found', () => {
    expect(cluster.refusals).toContainEqual(
      expect.stringMatching(/^Deployment\.apps media\/egress: .*namespaces "media" not found/),
    );
  });

  it("no NodePorts in the gateway quota: Traefik's LoadBalancer Service exceeds it", () => {
    expect(cluster.refusals).toContainEqual(
      expect.stringMatching(/^Service\.core gateway\/\S+: .*exceeded quota: compute.*services\.nodeports/),
    );
  });

  it("a PodDisruptionBudget that also selects the migration Job's pods: the disruption controller's warning", async () => {
    let warnings = "";
    await poll(
      "the disruption controller to judge PodDisruptionBudget services/auth",
      async () => {
        warnings = await eventText(cluster.client, "services", "PodDisruptionBudget", "auth");
        return warnings.includes("scale subresource");
      },
      90_000,
    );
    expect(warnings).toMatch(
      /CalculateExpectedPodCountFailed: .*jobs\.batch does not implement the scale subresource/,
    );
    // The budgets whose Jobs keep their own labels (the fix) get no such warning.
    for (const service of ["meetings", "chat"]) {
      expect(await eventText(cluster.client, "services", "PodDisruptionBudget", service)).toBe("");
    }
  }, 120_000);

  it("refuses nothing else: every other object of those namespaces is admitted", () => {
    const expected = [
      /^PodDisruptionBudget\.policy services\/auth: /,
      /^Deployment\.apps media\/egress: /,
      /^Service\.core gateway\//,
    ];
    const others = cluster.refusals.filter((r) => !expected.some((e) => e.test(r)));
    // Objects created into the media namespace only after it exists are fine; the egress refusal is the one above.
    expect(others).toEqual([]);
    expect(cluster.result.created.length).toBeGreaterThan(30);
  });
});

describe("the services LimitRange max back at the largest request: every service pod refused", () => {
  let max = "";
  const cluster = createInCluster(
    async () => {
      const reverted = revertLimitRange(await planStack("staging"));
      max = reverted.max;
      return reverted.graph;
    },
    new Set(["services"]),
  );

  it("the controllers cannot create the services' pods, in the API server's words", async () => {
    expect(cluster.refusals).toEqual([]);
    const workloads = workloadsOf(cluster.result.created).filter((w) => w.namespace === "services");
    expect(workloads.length).toBeGreaterThanOrEqual(6);
    const problems = await settledWorkloadProblems(cluster.client, workloads, 20_000);
    const refusedPods = problems.filter((p) =>
      new RegExp(`forbidden: maximum cpu usage per Container is ${max}, but limit is \\d+m`).test(p),
    );
    // Staging gives every service the same size: all Deployments and their migration Jobs are refused.
    expect(refusedPods.length, problems.join("\n")).toBe(workloads.length);
  }, 120_000);
});

describe("the reverted plan itself", () => {
  it("is the staging plan with only those four changes", async () => {
    const plan = await planStack("staging");
    const { graph, changed } = revertFixes(plan);
    const before = new Map(plan.resources.map((r) => [r.urn, JSON.stringify(r)]));
    const differing = graph.resources
      .filter((r) => before.get(r.urn) !== JSON.stringify(r))
      .map((r) => r.urn);
    expect(differing.sort()).toEqual([...changed].sort());
  }, 120_000);
});
