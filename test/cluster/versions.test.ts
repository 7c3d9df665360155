import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ephemeralStackConfig } from "../../infra/ephemeral/stack-file.ts";
import type { PlanGraph } from "../../infra/plan/engine.ts";
import { planInline, planStack } from "../../infra/plan/plan.ts";
import { controlPlaneBinDir } from "../support/control-plane.ts";
import { execFileAsync } from "../support/processes.ts";
import { chartFile, chartMetadata, chartSource } from "./charts.ts";
import { planToManifests } from "./manifests.ts";

const REPO_ROOT = resolve(import.meta.dirname, "../..");

/** `v1.35.4` from the build script, the one place the built Kubernetes version is chosen. */
function scriptVersion(name: string): string {
  const script = readFileSync(join(REPO_ROOT, "scripts/build-control-plane.sh"), "utf8");
  const found = new RegExp(`^${name}=(v[\\d.]+)$`, "m").exec(script)?.[1];
  if (!found) throw new Error(`scripts/build-control-plane.sh sets no ${name}`);
  return found;
}

const minorOf = (version: string) => /^v?(\d+\.\d+)\./.exec(version)?.[1];

describe("the control plane and charts the cluster tests use match what the stacks deploy", () => {
  const plans: PlanGraph[] = [];

  beforeAll(async () => {
    plans.push(await planStack("production"));
    plans.push(await planStack("staging"));
    plans.push(
      await planInline({
        stack: "eph-alice",
        environment: "ephemeral",
        overrides: ephemeralStackConfig("alice")["gomeet:overrides"] as Record<string, unknown>,
      }),
    );
  }, 120_000);

  it("builds Kubernetes at the minor every stack pins for DOKS, and the binaries are that build", async () => {
    const built = scriptVersion("KUBERNETES_VERSION");
    for (const graph of plans) {
      const cluster = graph.resources.find(
        (r) => r.type === "digitalocean:index/kubernetesCluster:KubernetesCluster",
      );
      const slug = String(cluster?.inputs.version);
      expect(
        minorOf(slug),
        `${graph.stack} pins DOKS ${slug}; scripts/build-control-plane.sh builds ${built}`,
      ).toBe(minorOf(built));
    }
    for (const binary of ["kube-apiserver", "kube-controller-manager", "kube-scheduler"]) {
      const { stdout } = await execFileAsync(join(controlPlaneBinDir(), binary), ["--version"]);
      expect(stdout.trim(), `${binary} --version (rebuild with scripts/build-control-plane.sh)`).toBe(
        `Kubernetes ${built}`,
      );
    }
    const { stdout: kubectl } = await execFileAsync(join(controlPlaneBinDir(), "kubectl"), [
      "version",
      "--client",
      "-o",
      "json",
    ]);
    expect((JSON.parse(kubectl) as { clientVersion: { gitVersion: string } }).clientVersion.gitVersion).toBe(
      built,
    );
    const { stdout: etcd } = await execFileAsync(join(controlPlaneBinDir(), "etcd"), ["--version"]);
    expect(etcd).toContain(`etcd Version: ${scriptVersion("ETCD_VERSION").slice(1)}`);
    const { stdout: helm } = await execFileAsync(join(controlPlaneBinDir(), "helm"), ["version", "--short"]);
    expect(helm.trim()).toBe(scriptVersion("HELM_VERSION"));
  });

  it("pins each Helm chart at the version of the chart file the cluster test renders", async () => {
    const source = chartSource();
    const used = new Set<string>();
    for (const graph of plans) {
      for (const step of planToManifests(graph)) {
        if (step.kind !== "release") continue;
        const { chart, version } = step.release;
        const file = chartFile(source, chart, version);
        used.add(file);
        const have = readdirSync(source.dir).filter((f) => f.startsWith(`${chart}-`) && f.endsWith(".tgz"));
        expect(
          have,
          `${graph.stack} pins ${chart} ${version}; ${source.dir} (${source.origin}) holds`,
        ).toContain(`${chart}-${version}.tgz`);
        expect(await chartMetadata(file)).toEqual({ name: chart, version });
      }
    }
    if (source.origin !== "helm pull cache") {
      const files = readdirSync(source.dir)
        .filter((f) => f.endsWith(".tgz"))
        .map((f) => join(source.dir, f));
      expect([...used].sort(), "every chart file is one a stack installs").toEqual(files.sort());
    }
  });
});
