import { asArray, asRecord, get, type ResourceRule, type StackRule, stackOf } from "./resource.ts";

/**
 * Security rules over DigitalOcean resources (docs/security.md): what a reviewer of a plan checks, as code.
 * Each rule names the resource, what it found and what is expected.
 */

const T = {
  cluster: "digitalocean:index/kubernetesCluster:KubernetesCluster",
  database: "digitalocean:index/databaseCluster:DatabaseCluster",
  databaseUser: "digitalocean:index/databaseUser:DatabaseUser",
  droplet: "digitalocean:index/droplet:Droplet",
  firewall: "digitalocean:index/firewall:Firewall",
  monitorAlert: "digitalocean:index/monitorAlert:MonitorAlert",
  project: "digitalocean:index/project:Project",
} as const;

/** The user postgres-exporter connects as (components/data/monitoring-role.ts). */
export const MONITORING_USER = "monitoring";

/** A tag only one stack's resources carry: `stack:<stack>` or `<tag>:<stack>` (components/naming.ts). */
export function isStackScopedTag(tag: string, stack: string): boolean {
  return tag === `stack:${stack}` || (tag.endsWith(`:${stack}`) && tag.length > stack.length + 1);
}

export const tagSelectorsStackScoped: ResourceRule = {
  kind: "resource",
  name: "tag-selectors-stack-scoped",
  description:
    "Cloud Firewalls and monitor alerts select droplets only by tags that name the stack: stacks share one account, and an account-wide tag such as pool:media would apply one stack's firewall to every stack's nodes.",
  enforcement: "mandatory",
  check(r, report) {
    if (r.type !== T.firewall && r.type !== T.monitorAlert) return;
    const stack = stackOf(r.urn);
    for (const tag of asArray(r.props.tags)) {
      if (!isStackScopedTag(String(tag), stack)) {
        report(
          `${r.name}: tag selector "${String(tag)}" is not scoped to stack ${stack} (expected stack:${stack} or <tag>:${stack})`,
          r.urn,
        );
      }
    }
  },
};

function isLongLivedStack(resources: { type: string; props: Record<string, unknown> }[]): boolean {
  return resources.some(
    (r) =>
      r.type === T.project && (r.props.environment === "Production" || r.props.environment === "Staging"),
  );
}

export const controlPlaneAllowList: StackRule = {
  kind: "stack",
  name: "control-plane-allow-list",
  description:
    "Production and staging clusters enable the DOKS control-plane firewall with a non-empty allow-list (CI adds its runner's address for a run).",
  enforcement: "mandatory",
  check(resources, report) {
    if (!isLongLivedStack(resources)) return;
    for (const c of resources.filter((r) => r.type === T.cluster)) {
      const firewall = asRecord(c.props.controlPlaneFirewall);
      const allowed = asArray(firewall.allowedAddresses).map(String);
      if (firewall.enabled !== true || allowed.length === 0) {
        report(
          `${c.name}: control-plane firewall is ${firewall.enabled === true ? "enabled" : "disabled"} with ${allowed.length} allowed addresses; the Kubernetes API must not be open to the internet`,
          c.urn,
        );
      } else if (allowed.some((a) => a === "0.0.0.0/0" || a === "::/0")) {
        report(`${c.name}: control-plane allow-list admits ${allowed.join(", ")}`, c.urn);
      }
    }
  },
};

export const postgresMonitoringUser: StackRule = {
  kind: "stack",
  name: "postgres-monitoring-user",
  description: `Every PostgreSQL cluster has its own \`${MONITORING_USER}\` user for postgres-exporter, so no service's credentials sit in the monitoring namespace.`,
  enforcement: "mandatory",
  check(resources, report) {
    const users = resources.filter((r) => r.type === T.databaseUser && r.props.name === MONITORING_USER);
    const pg = resources.filter((r) => r.type === T.database && r.props.engine === "pg");
    if (pg.length > users.length) {
      report(
        `${pg.length} PostgreSQL clusters but ${users.length} \`${MONITORING_USER}\` users: the exporter would need a service's credentials`,
        pg[0]?.urn,
      );
    }
  },
};

function opensSsh(rule: unknown): boolean {
  if (get(rule, "protocol") !== "tcp") return false;
  const m = /^(\d+)(?:-(\d+))?$/.exec(String(get(rule, "portRange") ?? ""));
  if (get(rule, "portRange") === "all") return true;
  if (!m) return false;
  return Number(m[1]) <= 22 && Number(m[2] ?? m[1]) >= 22;
}

export const sshOnlyWithKeys: StackRule = {
  kind: "stack",
  name: "ssh-only-with-keys",
  description:
    "Where a firewall opens SSH, every droplet of the stack is created with SSH keys: without keys DigitalOcean sets a root password and password login becomes possible.",
  enforcement: "mandatory",
  check(resources, report) {
    const open = resources.filter(
      (r) => r.type === T.firewall && asArray(r.props.inboundRules).some((rule) => opensSsh(rule)),
    );
    if (open.length === 0) return;
    for (const d of resources.filter((r) => r.type === T.droplet)) {
      if (asArray(d.props.sshKeys).length === 0) {
        report(
          `${d.name}: no sshKeys while ${open.map((f) => f.name).join(", ")} opens TCP 22; set turn.sshKeys or close SSH`,
          d.urn,
        );
      }
    }
  },
};
