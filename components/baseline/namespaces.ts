/** The namespaces the platform runs in, one per area; components take their names from here. */
export const NAMESPACES = {
  gateway: "gateway",
  services: "services",
  media: "media",
  monitoring: "monitoring",
  /** node-exporter alone: it needs the host's network, PID namespace and /proc, so it is kept apart. */
  nodeMetrics: "monitoring-node",
  certManager: "cert-manager",
} as const;
export type NamespaceKey = keyof typeof NAMESPACES;
export type NamespaceName = (typeof NAMESPACES)[NamespaceKey];

export type PodSecurityLevel = "privileged" | "baseline" | "restricted";

export interface PodSecurityPolicyChoice {
  /** What admission refuses. */
  enforce: PodSecurityLevel;
  /** What admission warns about and audits: the level we aim for where enforce is lower. */
  warn: PodSecurityLevel;
  /** Why enforce is not `restricted`, for the docs and reviewers. */
  reason: string;
}

/**
 * Pod Security admission per namespace (https://kubernetes.io/docs/concepts/security/pod-security-standards/):
 * `restricted` wherever the workload allows it; lower only where a pod needs a host feature, and then the lowest
 * level that admits it.
 */
export const POD_SECURITY: Record<NamespaceKey, PodSecurityPolicyChoice> = {
  gateway: { enforce: "restricted", warn: "restricted", reason: "Traefik runs non-root on ports 8000/8443" },
  services: { enforce: "restricted", warn: "restricted", reason: "our services run non-root, read-only" },
  media: {
    enforce: "privileged",
    warn: "privileged",
    reason:
      "LiveKit runs with hostNetwork (one SFU per node on the node's public address, docs/sources.md#livekit-helm-chart); the baseline level already forbids host namespaces, so privileged is the least level that admits it",
  },
  monitoring: {
    enforce: "baseline",
    warn: "restricted",
    reason:
      "kube-prometheus-stack's sub-charts do not all set a seccomp profile; nothing here needs host access, so baseline holds and restricted is audited",
  },
  nodeMetrics: {
    enforce: "privileged",
    warn: "privileged",
    reason: "node-exporter reads the host's /proc and /sys with hostNetwork and hostPID",
  },
  certManager: { enforce: "restricted", warn: "restricted", reason: "cert-manager's chart runs restricted" },
};

/** `v1.35` from a DOKS slug `1.35.1-do.6`: PSA checks against the pinned cluster minor, not `latest`. */
export function podSecurityVersion(doksVersion: string): string {
  const match = /^(\d+)\.(\d+)\./.exec(doksVersion);
  if (!match)
    throw new Error(`cluster.version: expected a DOKS slug such as 1.35.1-do.6, got "${doksVersion}"`);
  return `v${match[1]}.${match[2]}`;
}

export function podSecurityLabels(key: NamespaceKey, doksVersion: string): Record<string, string> {
  const choice = POD_SECURITY[key];
  const version = podSecurityVersion(doksVersion);
  return {
    "pod-security.kubernetes.io/enforce": choice.enforce,
    "pod-security.kubernetes.io/enforce-version": version,
    "pod-security.kubernetes.io/warn": choice.warn,
    "pod-security.kubernetes.io/warn-version": version,
    "pod-security.kubernetes.io/audit": choice.warn,
    "pod-security.kubernetes.io/audit-version": version,
  };
}

/** The platform's own label on every namespace: NetworkPolicies select peers by name, tools by area. */
export const AREA_LABEL = "gomeet.io/area";

export function namespaceLabels(key: NamespaceKey, doksVersion: string): Record<string, string> {
  return { [AREA_LABEL]: key, ...podSecurityLabels(key, doksVersion) };
}
