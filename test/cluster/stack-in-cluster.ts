import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PlanGraph } from "../../infra/plan/engine.ts";
import { type ControlPlane, startControlPlane } from "../support/control-plane.ts";
import { chartSource } from "./charts.ts";
import { type DeployResult, deploySteps } from "./deploy.ts";
import { peakTargets, scaleToPeak } from "./headroom.ts";
import { KubeClient } from "./kube-client.ts";
import { type KubeObject, planToManifests } from "./manifests.ts";
import { nodesFromPlan } from "./nodes.ts";
import { createOperatorClaims } from "./operator-claims.ts";
import { wiringProblems } from "./wiring.ts";
import { settledWorkloadProblems, workloadsOf } from "./workloads.ts";

/**
 * What DOKS has in every new cluster and the stack relies on without declaring: the default StorageClass
 * `do-block-storage` (DigitalOcean, "How to Add Volumes to Kubernetes Clusters",
 * https://docs.digitalocean.com/products/kubernetes/how-to/add-volumes/).
 */
export const DOKS_DEFAULTS: KubeObject[] = [
  {
    apiVersion: "storage.k8s.io/v1",
    kind: "StorageClass",
    metadata: {
      name: "do-block-storage",
      annotations: { "storageclass.kubernetes.io/is-default-class": "true" },
    },
    provisioner: "dobs.csi.digitalocean.com",
    allowVolumeExpansion: true,
    reclaimPolicy: "Delete",
    volumeBindingMode: "Immediate",
  },
];

const list = (lines: string[]) => lines.map((l) => `  - ${l}`).join("\n");

/**
 * One stack's first deploy in a real control plane: every Kubernetes object of its plan created in the
 * engine's order, then the controllers' view of it. Each assertion prints the API server's own messages.
 */
export function describeStackInCluster(stack: string, plan: () => Promise<PlanGraph>): void {
  describe(`${stack}: the first deploy in a real Kubernetes control plane`, () => {
    let plane: ControlPlane | undefined;
    let client: KubeClient;
    let result: DeployResult;

    beforeAll(async () => {
      const graph = await plan();
      const steps = planToManifests(graph);
      const cluster = graph.resources.find(
        (r) => r.type === "digitalocean:index/kubernetesCluster:KubernetesCluster",
      );
      const serviceSubnet = cluster?.inputs.serviceSubnet;
      plane = await startControlPlane(
        typeof serviceSubnet === "string" ? { serviceClusterIpRange: serviceSubnet } : {},
      );
      client = new KubeClient(plane);
      await client.discover();
      for (const object of [...DOKS_DEFAULTS, ...nodesFromPlan(graph)]) {
        const refusal = await client.create(object);
        if (refusal)
          throw new Error(`cluster set-up: ${object.kind} ${object.metadata?.name}: ${refusal.message}`);
      }
      result = await deploySteps(client, steps, chartSource());
      await createOperatorClaims(client, result);
      const leftOut = result.leftOut.map((l) => `${l.key} from ${l.from}: ${l.reason}`);
      if (leftOut.length > 0) console.info(`${stack}: left out of the cluster test:\n${list(leftOut)}`);
    }, 600_000);

    afterAll(async () => {
      await plane?.stop();
    }, 60_000);

    it("creates every object of the plan (charts included) with no refusal", () => {
      const refused = result.refused.map((r) => `${r.key} (${r.from}): ${r.message}`);
      expect(refused, `the API server refused ${refused.length} object(s):\n${list(refused)}`).toEqual([]);
      expect(result.created.length).toBeGreaterThan(100);
    });

    it("gets every Deployment's, StatefulSet's, DaemonSet's and Job's pods (and claims) admitted", async () => {
      const workloads = workloadsOf(result.created);
      expect(workloads.length).toBeGreaterThan(5);
      const problems = await settledWorkloadProblems(client, workloads);
      expect(problems, `controllers could not create:\n${list(problems)}`).toEqual([]);
    }, 120_000);

    it("points every HPA, PDB, Service, monitor and NetworkPolicy at pods that exist", async () => {
      const report = await wiringProblems(client, result.created);
      if (report.skipped.length > 0)
        console.info(`${stack}: selectors not checked:\n${list(report.skipped)}`);
      expect(report.problems, `selectors that find nothing:\n${list(report.problems)}`).toEqual([]);
    }, 120_000);

    it("leaves quota room for every Deployment at HPA maximum plus a surge pod, with the migration Jobs running", async () => {
      const targets = peakTargets(result.created);
      expect(targets.length).toBeGreaterThan(0);
      await scaleToPeak(client, result.created, targets);
      const peaks = new Map(targets.map((t) => [`${t.namespace}/${t.name}`, t.why]));
      const problems = (await settledWorkloadProblems(client, workloadsOf(result.created), 30_000)).map(
        (p) => {
          const key = /^Deployment (\S+):/.exec(p)?.[1];
          return key && peaks.has(key) ? `${p} [at ${peaks.get(key)}]` : p;
        },
      );
      expect(problems, `at peak, controllers could not create:\n${list(problems)}`).toEqual([]);
    }, 120_000);
  });
}
