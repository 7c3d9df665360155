import { copyFileSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import type { PlanGraph, PlannedResource } from "../../infra/plan/engine.ts";
import { PROJECT_ROOT } from "../../infra/plan/plan.ts";

/** A throwaway project root holding the real Pulumi.yaml and one stack file with the given config. */
export function projectWithStack(stack: string, config: Record<string, unknown>): string {
  const root = mkdtempSync(join(tmpdir(), "gomeet-stack-"));
  copyFileSync(join(PROJECT_ROOT, "Pulumi.yaml"), join(root, "Pulumi.yaml"));
  writeFileSync(join(root, `Pulumi.${stack}.yaml`), stringify({ config }));
  return root;
}

export function ofType(graph: PlanGraph, type: string): PlannedResource[] {
  return graph.resources.filter((r) => r.type === type);
}

export function named(graph: PlanGraph, type: string, name: string): PlannedResource {
  const found = graph.resources.find((r) => r.type === type && r.name === name);
  if (!found) {
    const names = ofType(graph, type).map((r) => r.name);
    throw new Error(`no ${type} named ${name} in the plan (have: ${names.join(", ") || "none"})`);
  }
  return found;
}

/** The custom resource that a URN names, to follow dependencies and parents in assertions. */
export function byUrn(graph: PlanGraph, urn: string): PlannedResource {
  const found = graph.resources.find((r) => r.urn === urn);
  if (!found) throw new Error(`no resource with URN ${urn}`);
  return found;
}

export const TYPES = {
  vpc: "digitalocean:index/vpc:Vpc",
  cluster: "digitalocean:index/kubernetesCluster:KubernetesCluster",
  nodePool: "digitalocean:index/kubernetesNodePool:KubernetesNodePool",
  database: "digitalocean:index/databaseCluster:DatabaseCluster",
  databaseFirewall: "digitalocean:index/databaseFirewall:DatabaseFirewall",
  replica: "digitalocean:index/databaseReplica:DatabaseReplica",
  pool: "digitalocean:index/databaseConnectionPool:DatabaseConnectionPool",
  droplet: "digitalocean:index/droplet:Droplet",
  project: "digitalocean:index/project:Project",
  projectResources: "digitalocean:index/projectResources:ProjectResources",
} as const;

/** True when a resource has secret inputs and every one of them sits under `prefix` (e.g. `stringData.`). */
export function onlyUnder(secretInputs: string[], prefix: string): boolean {
  return secretInputs.length > 0 && secretInputs.every((path) => path.startsWith(prefix));
}
