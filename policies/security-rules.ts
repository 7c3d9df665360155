import type { PolicyRule } from "./resource.ts";
import {
  controlPlaneAllowList,
  postgresMonitoringUser,
  sshOnlyWithKeys,
  tagSelectorsStackScoped,
} from "./security-cloud-rules.ts";
import {
  containersHardened,
  grafanaOperatorsOnly,
  mediaPriority,
  networkPolicyIpBlocksScoped,
} from "./security-workload-rules.ts";

/** The rules of docs/security.md, in its order. */
export const SECURITY_RULES: readonly PolicyRule[] = [
  grafanaOperatorsOnly,
  postgresMonitoringUser,
  tagSelectorsStackScoped,
  controlPlaneAllowList,
  mediaPriority,
  networkPolicyIpBlocksScoped,
  sshOnlyWithKeys,
  containersHardened,
];
