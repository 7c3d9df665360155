import type { PlanGraph, PlannedResource } from "./engine.ts";
import { summarize } from "./graph-json.ts";

/** Input names worth showing on a resource's line: sizes, counts, regions, versions, ports, ranges. */
const KEY_INPUTS = new Set([
  "name",
  "size",
  "nodeCount",
  "minNodes",
  "maxNodes",
  "autoScale",
  "region",
  "version",
  "engine",
  "ipRange",
  "clusterSubnet",
  "serviceSubnet",
  "ha",
  "mode",
  "portRange",
  "protocol",
  "subscriptionTierSlug",
  "ttl",
  "type",
  "replicas",
  "image",
  "namespace",
  "kind",
  "chart",
  "storageSizeMib",
  "evictionPolicy",
  "effect",
  "value",
]);
const MAX_KEY_INPUTS = 10;

/** `size=c-16-intel minNodes=10 …` from a resource's inputs (secrets are already placeholders). */
export function keyInputs(inputs: Record<string, unknown>): string {
  const found: string[] = [];
  const walk = (value: unknown, path: string, key: string) => {
    if (found.length >= MAX_KEY_INPUTS) return;
    if (value === null || value === undefined) return;
    if (typeof value !== "object") {
      if (KEY_INPUTS.has(key)) found.push(`${path}=${String(value)}`);
      return;
    }
    if (Array.isArray(value)) {
      if (value.every((v) => typeof v !== "object") && KEY_INPUTS.has(key)) {
        found.push(`${path}=[${value.join(",")}]`);
        return;
      }
      for (const [i, v] of value.entries()) walk(v, `${path}[${i}]`, key);
      return;
    }
    for (const [k, v] of Object.entries(value)) walk(v, path ? `${path}.${k}` : k, k);
  };
  walk(inputs, "", "");
  return found.join(" ");
}

/** The component tree with resource counts per component and key inputs per resource, then a summary. */
export function renderPlanTree(graph: PlanGraph): string {
  const children = new Map<string, PlannedResource[]>();
  const roots: PlannedResource[] = [];
  const byUrn = new Map(graph.resources.map((r) => [r.urn, r]));
  for (const r of graph.resources) {
    if (r.parent && byUrn.has(r.parent)) {
      const list = children.get(r.parent) ?? [];
      list.push(r);
      children.set(r.parent, list);
    } else {
      roots.push(r);
    }
  }
  const countCustom = (r: PlannedResource): number =>
    (r.custom ? 1 : 0) + (children.get(r.urn) ?? []).reduce((n, c) => n + countCustom(c), 0);
  const lines: string[] = [];
  const visit = (r: PlannedResource, prefix: string, last: boolean, depth: number) => {
    const branch = depth === 0 ? "" : last ? "└─ " : "├─ ";
    const detail = r.custom
      ? `  ${keyInputs(r.inputs)}${r.protect ? " [protected]" : ""}`
      : `  (${countCustom(r)} ${countCustom(r) === 1 ? "resource" : "resources"})`;
    lines.push(`${prefix}${branch}${r.type} ${r.name}${detail.trimEnd() ? detail : ""}`);
    const kids = (children.get(r.urn) ?? []).sort(
      (a, b) =>
        Number(a.custom) - Number(b.custom) || a.type.localeCompare(b.type) || a.name.localeCompare(b.name),
    );
    const nextPrefix = depth === 0 ? "" : `${prefix}${last ? "   " : "│  "}`;
    for (const [i, k] of kids.entries()) visit(k, nextPrefix, i === kids.length - 1, depth + 1);
  };
  for (const r of roots) visit(r, "", true, 0);

  const summary = summarize(graph);
  lines.push(
    "",
    `Summary: ${summary.custom} cloud and Kubernetes resources in ${summary.components} components (stack ${graph.stack}).`,
  );
  const byType = Object.entries(summary.byType)
    .filter(([type]) => !type.startsWith("gomeet:") && type !== "pulumi:pulumi:Stack")
    .sort(([a], [b]) => a.localeCompare(b));
  for (const [type, count] of byType) lines.push(`  ${String(count).padStart(4)}  ${type}`);
  const outputs = Object.entries(graph.outputs).sort(([a], [b]) => a.localeCompare(b));
  if (outputs.length > 0) {
    lines.push("", "Stack outputs:");
    for (const [key, value] of outputs)
      lines.push(`  ${key}: ${typeof value === "string" ? value : JSON.stringify(value)}`);
  }
  return `${lines.join("\n")}\n`;
}
