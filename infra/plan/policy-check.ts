import type { Violation } from "../../policies/resource.ts";
import { evaluatePolicies } from "../../policies/rules.ts";
import type { PlanGraph } from "./engine.ts";

/** The offline plan runs the same rules as the policy pack, over the recorded resource inputs. */
export function checkPlanPolicies(graph: PlanGraph): Violation[] {
  return evaluatePolicies(
    graph.resources
      .filter((r) => r.custom)
      .map((r) => ({
        type: r.type,
        name: r.name,
        urn: r.urn,
        props: r.inputs,
        dependencies: r.dependencies,
        protect: r.protect,
        ignoreChanges: r.ignoreChanges ?? [],
      })),
  );
}

export function renderPolicyReport(violations: Violation[], rulesChecked: number): string {
  const mandatory = violations.filter((v) => v.enforcement === "mandatory");
  const lines = [
    "",
    `Policy: ${rulesChecked} rules, ${mandatory.length} mandatory and ${violations.length - mandatory.length} advisory violations.`,
  ];
  for (const v of violations) {
    lines.push(`  [${v.enforcement}] ${v.policy}: ${v.message}${v.urn ? `\n      resource: ${v.urn}` : ""}`);
  }
  return `${lines.join("\n")}\n`;
}
