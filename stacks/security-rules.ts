import type { RuleViolation } from "./rules.ts";
import type { PlatformConfig } from "./schema.ts";

/**
 * Access rules a security review checks on every long-lived stack (docs/security.md). Ephemeral stacks are
 * exempt from the control-plane rule: they live hours, are created from CI or a laptop whose address changes,
 * and hold no user data.
 */
export function securityConfigViolations(config: PlatformConfig): RuleViolation[] {
  const violations: RuleViolation[] = [];
  if (config.environment !== "ephemeral" && config.cluster.controlPlaneAllowList.length === 0) {
    violations.push({
      path: ["cluster", "controlPlaneAllowList"],
      expected: `expected at least one CIDR on a ${config.environment} stack: an empty list leaves the Kubernetes API open to the internet (CI adds its runner's address for a run, docs/security.md)`,
    });
  }
  if (config.turn.adminSshCidrs.length > 0 && config.turn.sshKeys.length === 0) {
    violations.push({
      path: ["turn", "sshKeys"],
      expected:
        "expected at least one SSH key while turn.adminSshCidrs opens SSH: a droplet without keys gets a root password",
    });
  }
  return violations;
}
