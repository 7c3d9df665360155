import {
  databasesAdmitOnlyCluster,
  noSecretsInConfigMaps,
  portRangesDisjoint,
  productionHighAvailability,
  sshNotOpenToInternet,
  stackTagEverywhere,
} from "./cloud-rules.ts";
import { disruptionBudgetsSelectScalablePods, jobsKeptAfterFinishing } from "./job-rules.ts";
import {
  containerLimitsWithinLimitRange,
  nodePortsWithinQuota,
  quotaHeadroom,
} from "./kubernetes-capacity-rules.ts";
import {
  customResourcesAfterCrds,
  kubernetesObjectIdentityUnique,
  namespacedObjectsAfterNamespace,
} from "./kubernetes-graph-rules.ts";
import {
  doksSupportRules,
  nodeCountIgnoredOnlyWhenAutoscaled,
  noProtectOnEphemeral,
} from "./lifecycle-rules.ts";
import type { PolicyResource, PolicyRule, Violation } from "./resource.ts";
import { SECURITY_RULES } from "./security-rules.ts";
import {
  mediaPodsProtected,
  pinnedImages,
  workloadNonRoot,
  workloadProbes,
  workloadResources,
} from "./workload-rules.ts";

/** Every GoMeet policy, in the order they are reported. */
export const RULES: readonly PolicyRule[] = [
  databasesAdmitOnlyCluster,
  productionHighAvailability,
  workloadResources,
  workloadProbes,
  workloadNonRoot,
  pinnedImages,
  noSecretsInConfigMaps,
  sshNotOpenToInternet,
  stackTagEverywhere,
  mediaPodsProtected,
  portRangesDisjoint,
  kubernetesObjectIdentityUnique,
  namespacedObjectsAfterNamespace,
  customResourcesAfterCrds,
  nodePortsWithinQuota,
  containerLimitsWithinLimitRange,
  quotaHeadroom,
  noProtectOnEphemeral,
  nodeCountIgnoredOnlyWhenAutoscaled,
  disruptionBudgetsSelectScalablePods,
  jobsKeptAfterFinishing,
  ...doksSupportRules(() => new Date()),
  ...SECURITY_RULES,
];

/** Runs every rule over a stack's resources (what the offline plan does; the CLI runs the same rules). */
export function evaluatePolicies(
  resources: PolicyResource[],
  rules: readonly PolicyRule[] = RULES,
): Violation[] {
  const violations: Violation[] = [];
  for (const rule of rules) {
    const report = (message: string, urn?: string) =>
      violations.push({ policy: rule.name, enforcement: rule.enforcement, message, ...(urn ? { urn } : {}) });
    if (rule.kind === "resource") for (const r of resources) rule.check(r, report);
    else rule.check(resources, report);
  }
  return violations;
}
