import type {
  PolicyResource as PulumiPolicyResource,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationPolicy,
} from "@pulumi/policy";
import type { PolicyResource, PolicyRule } from "./resource.ts";
import { RULES } from "./rules.ts";

function optionsOf(opts: ResourceValidationArgs["opts"] | undefined) {
  return { protect: opts?.protect === true, ignoreChanges: [...(opts?.ignoreChanges ?? [])] };
}

/** A stack resource as the rules see it: dependencies by URN (explicit and through inputs), options. */
export function fromStackResource(r: PulumiPolicyResource): PolicyResource {
  const dependencies = new Set((r.dependencies ?? []).map((d) => d.urn));
  for (const deps of Object.values(r.propertyDependencies ?? {}))
    for (const d of deps) dependencies.add(d.urn);
  return {
    type: r.type,
    name: r.name,
    urn: r.urn,
    props: r.props,
    dependencies: [...dependencies],
    ...optionsOf(r.opts),
  };
}

/**
 * The rules as @pulumi/policy objects for `pulumi preview --policy-pack policies`. Kept apart from the pack
 * entry (policies/index.cjs) because `new PolicyPack` starts a gRPC server and may exist once per process
 * (@pulumi/policy server.ts `serve`): tests and the offline plan import the rules, never the entry.
 */
export function toPulumiPolicy(rule: PolicyRule): ResourceValidationPolicy | StackValidationPolicy {
  if (rule.kind === "resource") {
    return {
      name: rule.name,
      description: rule.description,
      enforcementLevel: rule.enforcement,
      validateResource: (args, reportViolation) =>
        rule.check(
          { type: args.type, name: args.name, urn: args.urn, props: args.props, ...optionsOf(args.opts) },
          reportViolation,
        ),
    };
  }
  return {
    name: rule.name,
    description: rule.description,
    enforcementLevel: rule.enforcement,
    validateStack: (args, reportViolation) =>
      rule.check(args.resources.map(fromStackResource), reportViolation),
  };
}

export const policies = RULES.map(toPulumiPolicy);
