import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { PlanGraph, PlannedResource } from "../../infra/plan/engine.ts";
import { firstServiceIp } from "../support/control-plane-files.ts";
import { chartSource, parseRendered } from "./charts.ts";
import { installOrder } from "./deploy.ts";
import { surgePods } from "./headroom.ts";
import { apiVersionAndKind, duplicateObjects, planToManifests } from "./manifests.ts";
import { selectorQuery } from "./selectors.ts";

const urn = (type: string, name: string) => `urn:pulumi:s::gomeet::gomeet:x:X$${type}::${name}`;
function resource(
  type: string,
  name: string,
  inputs: Record<string, unknown>,
  dependencies: string[] = [],
): PlannedResource {
  return {
    urn: urn(type, name),
    type,
    name,
    custom: true,
    dependencies,
    inputs,
    secretInputs: [],
    protect: false,
  };
}
const graphOf = (resources: PlannedResource[]): PlanGraph => ({
  project: "gomeet",
  stack: "s",
  resources,
  outputs: {},
  secretOutputs: [],
});

const NS = "kubernetes:core/v1:Namespace";
const MONITOR = "kubernetes:monitoring.coreos.com/v1:ServiceMonitor";
const RELEASE = "kubernetes:helm.sh/v3:Release";
const release = (deps: string[]) =>
  resource(
    RELEASE,
    "chart",
    { name: "monitoring", namespace: "monitoring", chart: "kps", version: "1.0.0", values: {} },
    deps,
  );

describe("planToManifests: the Kubernetes half of a plan in the engine's order", () => {
  it("creates a resource as soon as its dependencies exist, dependency-less neighbours before what they may need", () => {
    const ns = resource(NS, "ns", { metadata: { name: "monitoring" } });
    const chart = release([ns.urn]);
    const racing = resource(MONITOR, "racing", { metadata: { name: "auth", namespace: "monitoring" } }, [
      ns.urn,
    ]);
    const waiting = resource(
      MONITOR,
      "waiting",
      { metadata: { name: "meetings", namespace: "monitoring" } },
      [chart.urn],
    );
    const order = planToManifests(graphOf([waiting, chart, racing, ns])).map((s) => s.urn.split("::").pop());
    // `racing` does not wait for the chart, so it is created before the chart's CRDs exist.
    expect(order).toEqual(["ns", "racing", "chart", "waiting"]);
  });

  it("puts a Namespace after objects that do not depend on it, exposing the race", () => {
    const ns = resource(NS, "ns", { metadata: { name: "media" } });
    const orphan = resource("kubernetes:core/v1:ConfigMap", "cm", {
      metadata: { name: "c", namespace: "media" },
    });
    expect(planToManifests(graphOf([ns, orphan])).map((s) => s.urn.split("::").pop())).toEqual(["cm", "ns"]);
  });

  it("follows dependencies through components and cloud resources", () => {
    const ns = resource(NS, "ns", { metadata: { name: "a" } });
    const cloud = resource("digitalocean:index/vpc:Vpc", "vpc", {}, [ns.urn]);
    const cm = resource("kubernetes:core/v1:ConfigMap", "cm", { metadata: { name: "c", namespace: "a" } }, [
      cloud.urn,
    ]);
    const steps = planToManifests(graphOf([cm, cloud, ns]));
    expect(steps.map((s) => [s.urn.split("::").pop(), s.wave])).toEqual([
      ["ns", 0],
      ["cm", 1],
    ]);
  });

  it("reports an object declared twice, as the second create fails", () => {
    const a = resource(MONITOR, "a", { metadata: { name: "auth", namespace: "services" } });
    const b = resource(MONITOR, "b", { metadata: { name: "auth", namespace: "services" } });
    expect(duplicateObjects(planToManifests(graphOf([a, b])))).toEqual([
      `ServiceMonitor.monitoring.coreos.com services/auth is declared by ${a.urn} and again by ${b.urn}`,
    ]);
  });

  it("turns type tokens into apiVersion and kind, and refuses Release inputs it cannot reproduce", () => {
    expect(apiVersionAndKind("kubernetes:core/v1:Secret")).toEqual({ apiVersion: "v1", kind: "Secret" });
    expect(apiVersionAndKind("kubernetes:apps/v1:Deployment")).toEqual({
      apiVersion: "apps/v1",
      kind: "Deployment",
    });
    const bad = resource(RELEASE, "r", { name: "x", chart: "c", version: "1", valueYamlFiles: ["v.yaml"] });
    expect(() => planToManifests(graphOf([bad]))).toThrow(/Release inputs valueYamlFiles are not reproduced/);
  });
});

describe("helm rendering helpers", () => {
  it("installs CRDs, pre-install hooks, objects in helm's kind order, then post-install hooks", () => {
    const rendered = parseRendered(
      [
        "# Source: c/templates/job.yaml\napiVersion: batch/v1\nkind: Job\nmetadata:\n  name: patch\n  annotations:\n    helm.sh/hook: post-install,post-upgrade",
        "# Source: c/templates/deploy.yaml\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d",
        "# Source: c/templates/sa.yaml\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: sa",
        "# Source: c/templates/create.yaml\napiVersion: batch/v1\nkind: Job\nmetadata:\n  name: create\n  annotations:\n    helm.sh/hook: pre-install",
        "# Source: c/crds/crd.yaml\napiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: x.example.com",
      ].join("\n---\n"),
    );
    expect(installOrder(rendered).map((r) => r.object.metadata?.name)).toEqual([
      "x.example.com",
      "create",
      "sa",
      "d",
      "patch",
    ]);
  });

  it("writes selectors in the API server's query syntax", () => {
    expect(
      selectorQuery({
        matchLabels: { app: "auth" },
        matchExpressions: [
          { key: "tier", operator: "In", values: ["a", "b"] },
          { key: "job-name", operator: "DoesNotExist" },
        ],
      }),
    ).toBe("app=auth,tier in (a,b),!job-name");
    expect(selectorQuery({ app: "auth" })).toBe("app=auth");
    expect(() => selectorQuery({ matchExpressions: [{ key: "k", operator: "Gt" }] })).toThrow(
      /unknown operator "Gt"/,
    );
  });

  it("resolves a rolling update's surge like the Deployment controller", () => {
    expect(surgePods({ rollingUpdate: { maxSurge: 1 } }, 10)).toBe(1);
    expect(surgePods(undefined, 10)).toBe(3);
    expect(surgePods({ type: "Recreate" }, 10)).toBe(0);
    expect(() => surgePods({ rollingUpdate: { maxSurge: "one" } }, 2)).toThrow(/maxSurge/);
  });

  it("gives the API server the first address of the Service range", () => {
    expect(firstServiceIp("10.101.0.0/19")).toBe("10.101.0.1");
    expect(() => firstServiceIp("10.101.0.0")).toThrow(/IPv4 CIDR, got "10.101.0.0"/);
  });
});

describe("chartSource: where the charts come from", () => {
  const root = mkdtempSync(join(tmpdir(), "gomeet-charts-layout-"));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it("takes GOMEET_CHARTS_DIR first and names a missing one", () => {
    mkdirSync(join(root, "elsewhere"));
    expect(chartSource(join(root, "clone"), { GOMEET_CHARTS_DIR: join(root, "elsewhere") })).toEqual({
      dir: join(root, "elsewhere"),
      origin: "GOMEET_CHARTS_DIR",
    });
    expect(() => chartSource(join(root, "clone"), { GOMEET_CHARTS_DIR: join(root, "nope") })).toThrow(
      `GOMEET_CHARTS_DIR names "${join(root, "nope")}", which does not exist`,
    );
  });

  it("uses shared/charts beside the clone, else the helm pull cache in the clone", () => {
    const clone = join(root, "some-clone");
    mkdirSync(clone);
    expect(chartSource(clone, {})).toEqual({
      dir: join(clone, ".tools", "charts"),
      origin: "helm pull cache",
    });
    mkdirSync(join(root, "shared", "charts"), { recursive: true });
    expect(chartSource(clone, {})).toEqual({
      dir: resolve(root, "shared", "charts"),
      origin: "beside the repository",
    });
  });
});
