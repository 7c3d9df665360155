import { DOKS_SUPPORT_WARNING_DAYS, doksSupportStatus } from "../stacks/doks-versions.ts";
import { asRecord, type PolicyResource, type ResourceRule, type StackRule, stackOf } from "./resource.ts";

/**
 * Rules about how resources live across updates and teardown: what may be protected, which drift may be
 * ignored, and how long the pinned cluster release is supported.
 */

const T = {
  project: "digitalocean:index/project:Project",
  cluster: "digitalocean:index/kubernetesCluster:KubernetesCluster",
  pool: "digitalocean:index/kubernetesNodePool:KubernetesNodePool",
} as const;

/**
 * An ephemeral stack: named `eph-<name>` by `npm run ephemeral` (infra/ephemeral/arguments.ts), or holding the
 * DigitalOcean project of the ephemeral preset (environment Development, components/edge/project.ts).
 */
export function isEphemeralStack(resources: PolicyResource[]): boolean {
  const stack = resources[0] ? stackOf(resources[0].urn) : "";
  return (
    stack.startsWith("eph-") ||
    resources.some((r) => r.type === T.project && r.props.environment === "Development")
  );
}

export const noProtectOnEphemeral: StackRule = {
  kind: "stack",
  name: "no-protect-on-ephemeral",
  description:
    "Ephemeral stacks protect nothing: `npm run ephemeral -- down` and the hourly sweep must be able to destroy them, and Pulumi refuses to delete protected resources.",
  enforcement: "mandatory",
  check(resources, report) {
    if (!isEphemeralStack(resources)) return;
    for (const r of resources) {
      if (r.protect === true) {
        report(
          `${r.name} (${r.type}) is protected on an ephemeral stack: destroy would refuse to delete it`,
          r.urn,
        );
      }
    }
  },
};

export const nodeCountIgnoredOnlyWhenAutoscaled: ResourceRule = {
  kind: "resource",
  name: "node-count-ignored-only-when-autoscaled",
  description:
    "`ignoreChanges` on a node count only for autoscaled pools: on a fixed-size pool it silently drops a resize made through config.",
  enforcement: "mandatory",
  check(r, report) {
    const ignored = new Set(r.ignoreChanges ?? []);
    const check = (path: string, pool: Record<string, unknown>, what: string) => {
      if (ignored.has(path) && pool.autoScale !== true) {
        report(
          `${r.name}: ${what} is a fixed-size pool (autoScale ${String(pool.autoScale ?? false)}) but ignores changes to ${path}; a resize through config would be dropped`,
          r.urn,
        );
      }
    };
    if (r.type === T.pool) check("nodeCount", r.props, `node pool ${String(r.props.name ?? r.name)}`);
    if (r.type === T.cluster) {
      const pool = asRecord(r.props.nodePool);
      check("nodePool.nodeCount", pool, `default node pool ${String(pool.name ?? "")}`);
    }
  },
};

/** The two DOKS support rules, reading today's date from `today` (tests pass a fixed clock). */
export function doksSupportRules(today: () => Date): [ResourceRule, ResourceRule] {
  const clusters = (r: PolicyResource) => (r.type === T.cluster ? String(r.props.version ?? "") : undefined);
  return [
    {
      kind: "resource",
      name: "doks-version-supported",
      description:
        "The pinned DOKS release's minor is in the support table (stacks/doks-versions.ts) and not past its end of support.",
      enforcement: "mandatory",
      check(r, report) {
        const version = clusters(r);
        if (version === undefined) return;
        const s = doksSupportStatus(version, today());
        if (s.status === "unknown") {
          report(
            `${r.name}: DOKS version "${version}" is not a minor in the support table (stacks/doks-versions.ts)`,
            r.urn,
          );
        } else if (s.status === "unsupported") {
          report(
            `${r.name}: DOKS ${s.minor} (pinned ${version}) reached end of support on ${s.endOfSupport}: new clusters are refused and existing ones force-upgraded`,
            r.urn,
          );
        }
      },
    },
    {
      kind: "resource",
      name: "doks-version-support-ending",
      description: `Warns when the pinned DOKS minor ends support within ${DOKS_SUPPORT_WARNING_DAYS} days.`,
      enforcement: "advisory",
      check(r, report) {
        const version = clusters(r);
        if (version === undefined) return;
        const s = doksSupportStatus(version, today());
        if (s.status === "ending") {
          report(
            `${r.name}: DOKS ${s.minor} (pinned ${version}) ends support on ${s.endOfSupport}, in ${s.daysLeft} days: move the pin to a newer minor`,
            r.urn,
          );
        }
      },
    },
  ];
}
