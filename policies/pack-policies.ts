import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import type { PolicyRule } from "./resource.ts";
import { RULES } from "./rules.ts";

/**
 * The rules as @pulumi/policy objects for `pulumi preview --policy-pack policies`. Kept apart from the pack
 * entry (policies/index.ts) because `new PolicyPack` starts a gRPC server and may exist once per process
 * (../shared/reference/pulumi.md §2.5): tests and the offline plan import the rules, never the entry.
 */
export function toPulumiPolicy(rule: PolicyRule): ResourceValidationPolicy | StackValidationPolicy {
  if (rule.kind === "resource") {
    return {
      name: rule.name,
      description: rule.description,
      enforcementLevel: rule.enforcement,
      validateResource: (args, reportViolation) =>
        rule.check({ type: args.type, name: args.name, urn: args.urn, props: args.props }, reportViolation),
    };
  }
  return {
    name: rule.name,
    description: rule.description,
    enforcementLevel: rule.enforcement,
    validateStack: (args, reportViolation) =>
      rule.check(
        args.resources.map((r) => ({ type: r.type, name: r.name, urn: r.urn, props: r.props })),
        reportViolation,
      ),
  };
}

export const policies = RULES.map(toPulumiPolicy);
