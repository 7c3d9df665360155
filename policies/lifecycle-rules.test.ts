import { describe, expect, it } from "vitest";
import { DOKS_SUPPORT, DOKS_VERSION, doksMinor } from "../stacks/doks-versions.ts";
import {
  doksSupportRules,
  nodeCountIgnoredOnlyWhenAutoscaled,
  noProtectOnEphemeral,
} from "./lifecycle-rules.ts";
import type { PolicyResource, PolicyRule } from "./resource.ts";
import { evaluatePolicies } from "./rules.ts";

function res(stack: string, type: string, name: string, extra: Partial<PolicyResource> = {}): PolicyResource {
  return { type, name, urn: `urn:pulumi:${stack}::gomeet::${type}::${name}`, props: {}, ...extra };
}

function run(rule: PolicyRule, resources: PolicyResource[]): string[] {
  return evaluatePolicies(resources, [rule]).map((v) => v.message);
}

const ZONE = "digitalocean:index/domain:Domain";

describe("lifecycle rules", () => {
  it("no-protect-on-ephemeral: a protected zone on eph-* or a Development project", () => {
    const zone = (stack: string, protect: boolean) => res(stack, ZONE, "dns-zone", { protect });
    expect(run(noProtectOnEphemeral, [zone("eph-bob", false)])).toEqual([]);
    expect(run(noProtectOnEphemeral, [zone("production", true)])).toEqual([]);
    expect(run(noProtectOnEphemeral, [zone("eph-bob", true)])).toEqual([
      "dns-zone (digitalocean:index/domain:Domain) is protected on an ephemeral stack: destroy would refuse to delete it",
    ]);
    const project = res("review-7", "digitalocean:index/project:Project", "project", {
      props: { environment: "Development" },
    });
    expect(run(noProtectOnEphemeral, [project, zone("review-7", true)])).toHaveLength(1);
  });

  it("node-count-ignored-only-when-autoscaled: pools and the cluster's default pool", () => {
    const pool = (autoScale: boolean, ignoreChanges: string[]) =>
      res("staging", "digitalocean:index/kubernetesNodePool:KubernetesNodePool", "cluster-apps", {
        props: { name: "apps", autoScale, nodeCount: 2 },
        ignoreChanges,
      });
    expect(run(nodeCountIgnoredOnlyWhenAutoscaled, [pool(true, ["nodeCount"]), pool(false, [])])).toEqual([]);
    expect(run(nodeCountIgnoredOnlyWhenAutoscaled, [pool(false, ["nodeCount"])])).toEqual([
      "cluster-apps: node pool apps is a fixed-size pool (autoScale false) but ignores changes to nodeCount; a resize through config would be dropped",
    ]);
    const cluster = res("staging", "digitalocean:index/kubernetesCluster:KubernetesCluster", "cluster-doks", {
      props: { nodePool: { name: "system", autoScale: false, nodeCount: 2 } },
      ignoreChanges: ["nodePool.nodeCount"],
    });
    expect(run(nodeCountIgnoredOnlyWhenAutoscaled, [cluster])).toEqual([
      "cluster-doks: default node pool system is a fixed-size pool (autoScale false) but ignores changes to nodePool.nodeCount; a resize through config would be dropped",
    ]);
  });

  it("doks-version-supported and -support-ending, against an injected clock", () => {
    const cluster = (version: string) =>
      res("production", "digitalocean:index/kubernetesCluster:KubernetesCluster", "cluster-doks", {
        props: { version },
      });
    const at = (iso: string) => doksSupportRules(() => new Date(iso));
    const [supported, ending] = at("2026-12-05T09:00:00Z");
    expect(run(supported, [cluster("1.35.1-do.6")])).toEqual([]);
    expect(run(ending, [cluster("1.35.1-do.6")])).toEqual([]);
    expect(run(supported, [cluster("1.34.1-do.0")])).toEqual([
      "cluster-doks: DOKS 1.34 (pinned 1.34.1-do.0) reached end of support on 2026-10-27: new clusters are refused and existing ones force-upgraded",
    ]);
    expect(run(supported, [cluster("1.99.0-do.0")])).toEqual([
      'cluster-doks: DOKS version "1.99.0-do.0" is not a minor in the support table (stacks/doks-versions.ts)',
    ]);
    // 30 days before 1.35's end of support (2027-02-28) the pack warns, and stays advisory.
    const [supportedLate, endingLate] = at("2027-02-10T00:00:00Z");
    expect(run(supportedLate, [cluster("1.35.1-do.6")])).toEqual([]);
    const warning = evaluatePolicies([cluster("1.35.1-do.6")], [endingLate]);
    expect(warning.map((v) => [v.enforcement, v.message])).toEqual([
      [
        "advisory",
        "cluster-doks: DOKS 1.35 (pinned 1.35.1-do.6) ends support on 2027-02-28, in 18 days: move the pin to a newer minor",
      ],
    ]);
    const [supportedAfter] = at("2027-03-01T00:00:00Z");
    expect(run(supportedAfter, [cluster("1.35.1-do.6")])).toHaveLength(1);
  });

  it("the pinned DOKS release is in the support table, with a source for its date", () => {
    const entry = DOKS_SUPPORT.find((s) => s.minor === doksMinor(DOKS_VERSION));
    expect(entry?.source).toMatch(/^https:\/\//);
    expect(Date.parse(`${entry?.endOfSupport}T00:00:00Z`)).toBeGreaterThan(
      Date.parse("2026-10-27T00:00:00Z"),
    );
  });
});
