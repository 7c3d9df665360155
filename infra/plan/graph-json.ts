import type { PlanGraph, PlannedResource } from "./engine.ts";

export const PLAN_FORMAT = "gomeet-plan/1";

/** The normalized plan file: stable key and resource order, secrets already redacted by the engine. */
export interface PlanDocument {
  format: typeof PLAN_FORMAT;
  project: string;
  stack: string;
  summary: PlanSummary;
  resources: PlannedResource[];
  outputs: Record<string, unknown>;
  secretOutputs: string[];
}

export interface PlanSummary {
  resources: number;
  custom: number;
  components: number;
  byType: Record<string, number>;
}

export function summarize(graph: PlanGraph): PlanSummary {
  const byType: Record<string, number> = {};
  for (const r of graph.resources) byType[r.type] = (byType[r.type] ?? 0) + 1;
  const custom = graph.resources.filter((r) => r.custom).length;
  return { resources: graph.resources.length, custom, components: graph.resources.length - custom, byType };
}

export function toPlanDocument(graph: PlanGraph): PlanDocument {
  return {
    format: PLAN_FORMAT,
    project: graph.project,
    stack: graph.stack,
    summary: summarize(graph),
    resources: [...graph.resources].sort((a, b) => a.urn.localeCompare(b.urn)),
    outputs: graph.outputs,
    secretOutputs: graph.secretOutputs,
  };
}

/** JSON with object keys sorted at every level, so two plans of the same program are byte-identical. */
export function stableStringify(value: unknown): string {
  return `${JSON.stringify(sortKeys(value), null, 2)}\n`;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

export function parsePlanDocument(text: string, source: string): PlanDocument {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    throw new Error(`${source}: not JSON (${(error as Error).message})`);
  }
  const format = (doc as { format?: unknown } | null)?.format;
  if (format !== PLAN_FORMAT) {
    throw new Error(
      `${source}: expected a plan written by \`npm run plan -- --json\` (format ${PLAN_FORMAT}), got format ${JSON.stringify(format)}`,
    );
  }
  return doc as PlanDocument;
}
