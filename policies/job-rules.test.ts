import { describe, expect, it } from "vitest";
import { disruptionBudgetsSelectScalablePods, jobsKeptAfterFinishing } from "./job-rules.ts";
import type { PolicyResource, PolicyRule } from "./resource.ts";
import { evaluatePolicies } from "./rules.ts";
import { workloadResources } from "./workload-rules.ts";

function k8s(type: string, name: string, props: Record<string, unknown>): PolicyResource {
  return { type, name, urn: `urn:pulumi:staging::gomeet::${type}::${name}`, props };
}

const pdb = (name: string, ns: string, spec: Record<string, unknown>) =>
  k8s("kubernetes:policy/v1:PodDisruptionBudget", `${name}-pdb`, {
    metadata: { name, namespace: ns },
    spec,
  });

const job = (name: string, ns: string, labels: Record<string, string>, extra: Record<string, unknown> = {}) =>
  k8s("kubernetes:batch/v1:Job", name, {
    metadata: { name, namespace: ns },
    spec: { ...extra, template: { metadata: { labels }, spec: { containers: [{ name: "migrate" }] } } },
  });

const byName = { matchLabels: { "app.kubernetes.io/name": "auth" } };

function run(rule: PolicyRule, resources: PolicyResource[]) {
  return evaluatePolicies(resources, [rule]).map((v) => ({ message: v.message, urn: v.urn }));
}

describe("disruption-budgets-select-scalable-pods", () => {
  const budget = pdb("auth", "services", { maxUnavailable: 1, selector: byName });

  it("passes when the migration Job's pods carry labels of their own", () => {
    const migration = job("auth-migrate-v1", "services", { "app.kubernetes.io/name": "auth-migration" });
    expect(run(disruptionBudgetsSelectScalablePods, [budget, migration])).toEqual([]);
  });

  it("fails when the budget's selector also matches the Job's pods, naming both", () => {
    const migration = job("auth-migrate-v1", "services", {
      "app.kubernetes.io/name": "auth",
      "app.kubernetes.io/component": "migration",
    });
    const found = run(disruptionBudgetsSelectScalablePods, [budget, migration]);
    expect(found).toEqual([
      {
        message: expect.stringContaining(
          "policy/v1 PodDisruptionBudget services/auth also selects the pods of batch/v1 Job services/auth-migrate-v1",
        ),
        urn: budget.urn,
      },
    ]);
    expect(found[0]?.message).toContain("jobs.batch does not implement the scale subresource");
  });

  it("judges CronJob and DaemonSet pods too, and only in the budget's namespace", () => {
    const cron = k8s("kubernetes:batch/v1:CronJob", "auth-cleanup", {
      metadata: { name: "auth-cleanup", namespace: "services" },
      spec: { jobTemplate: { spec: { template: { metadata: { labels: byName.matchLabels } } } } },
    });
    const daemons = k8s("kubernetes:apps/v1:DaemonSet", "auth-agent", {
      metadata: { name: "auth-agent", namespace: "services" },
      spec: { template: { metadata: { labels: byName.matchLabels } } },
    });
    const elsewhere = job("auth-migrate-v1", "media", byName.matchLabels);
    const messages = run(disruptionBudgetsSelectScalablePods, [budget, cron, daemons, elsewhere]).map(
      (v) => v.message,
    );
    expect(messages).toHaveLength(2);
    expect(messages[0]).toContain("batch/v1 CronJob services/auth-cleanup");
    expect(messages[1]).toContain("daemonsets.apps does not implement the scale subresource");
  });

  it("allows an integer minAvailable, which needs no expected count", () => {
    const integer = pdb("auth", "services", { minAvailable: 1, selector: byName });
    const percent = pdb("auth", "services", { minAvailable: "50%", selector: byName });
    const migration = job("auth-migrate-v1", "services", byName.matchLabels);
    expect(run(disruptionBudgetsSelectScalablePods, [integer, migration])).toEqual([]);
    expect(run(disruptionBudgetsSelectScalablePods, [percent, migration])).toHaveLength(1);
  });
});

describe("jobs-kept-after-finishing", () => {
  it("passes a Job without a TTL and fails one with a TTL, naming it and the value", () => {
    const kept = job("auth-migrate-v1", "services", {});
    const expiring = job("chat-migrate-v1", "services", {}, { ttlSecondsAfterFinished: 604800 });
    expect(run(jobsKeptAfterFinishing, [kept])).toEqual([]);
    expect(run(jobsKeptAfterFinishing, [kept, expiring])).toEqual([
      {
        message: expect.stringContaining(
          "batch/v1 Job services/chat-migrate-v1 sets ttlSecondsAfterFinished 604800",
        ),
        urn: expiring.urn,
      },
    ]);
  });

  it("a TTL of 0 is a TTL too", () => {
    const immediate = job("auth-migrate-v1", "services", {}, { ttlSecondsAfterFinished: 0 });
    expect(run(jobsKeptAfterFinishing, [immediate])).toHaveLength(1);
  });
});

describe("workload-resources over Helm releases", () => {
  const monitoring = (prometheusSpec: Record<string, unknown>) =>
    k8s("kubernetes:helm.sh/v3:Release", "monitoring-kube-prometheus-stack", {
      chart: "kube-prometheus-stack",
      namespace: "monitoring",
      values: { prometheus: { prometheusSpec }, alertmanager: { enabled: false } },
    });

  it("fails a Prometheus without resources of its own (it would take the LimitRange default)", () => {
    const sized = monitoring({
      resources: { requests: { cpu: "500m", memory: "2Gi" }, limits: { cpu: "1", memory: "2Gi" } },
    });
    expect(run(workloadResources, [sized])).toEqual([]);
    const bare = monitoring({ replicas: 2 });
    expect(run(workloadResources, [bare]).map((v) => v.message)).toEqual([
      "prometheus (Helm release monitoring-kube-prometheus-stack) container prometheus has no cpu and memory requests",
      "prometheus (Helm release monitoring-kube-prometheus-stack) container prometheus has no cpu and memory limits",
    ]);
  });
});
