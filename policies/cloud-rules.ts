import { KUBERNETES_NODE_PORTS, type NamedPortRange } from "../components/media/port-ranges.ts";
import {
  asArray,
  asRecord,
  get,
  type PolicyResource,
  type ResourceRule,
  type StackRule,
  stackOf,
} from "./resource.ts";

const T = {
  cluster: "digitalocean:index/kubernetesCluster:KubernetesCluster",
  pool: "digitalocean:index/kubernetesNodePool:KubernetesNodePool",
  database: "digitalocean:index/databaseCluster:DatabaseCluster",
  databaseFirewall: "digitalocean:index/databaseFirewall:DatabaseFirewall",
  firewall: "digitalocean:index/firewall:Firewall",
  droplet: "digitalocean:index/droplet:Droplet",
  project: "digitalocean:index/project:Project",
  configMap: "kubernetes:core/v1:ConfigMap",
  hpa: "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
} as const;

export const databasesAdmitOnlyCluster: StackRule = {
  kind: "stack",
  name: "databases-admit-only-cluster",
  description:
    "Every managed database has a firewall, and database firewalls admit only the Kubernetes cluster (rule type k8s).",
  enforcement: "mandatory",
  check(resources, report) {
    const databases = resources.filter((r) => r.type === T.database);
    const firewalls = resources.filter((r) => r.type === T.databaseFirewall);
    for (const fw of firewalls) {
      for (const rule of asArray(fw.props.rules)) {
        if (get(rule, "type") !== "k8s") {
          report(
            `${fw.name} admits ${String(get(rule, "type"))} ${String(get(rule, "value"))}; only the cluster (k8s) may connect`,
            fw.urn,
          );
        }
      }
      if (asArray(fw.props.rules).length === 0) report(`${fw.name} has no rules`, fw.urn);
    }
    if (firewalls.length < databases.length) {
      const missing = databases.length - firewalls.length;
      report(
        `${missing} of ${databases.length} managed databases have no database firewall`,
        databases[0]?.urn,
      );
    }
  },
};

export const productionHighAvailability: StackRule = {
  kind: "stack",
  name: "production-high-availability",
  description:
    "A Production project runs HA everywhere DigitalOcean offers it: HA control plane, database standbys, two or more nodes in the system and apps pools, two or more TURN droplets, two or more replicas per service.",
  enforcement: "mandatory",
  check(resources, report) {
    const production = resources.some((r) => r.type === T.project && r.props.environment === "Production");
    if (!production) return;
    for (const c of resources.filter((r) => r.type === T.cluster)) {
      if (c.props.ha !== true)
        report(`${c.name}: production cluster without HA control plane (ha: true)`, c.urn);
      const system = asRecord(c.props.nodePool);
      if (Number(system.minNodes ?? system.nodeCount ?? 0) < 2)
        report(`${c.name}: system pool below 2 nodes`, c.urn);
    }
    for (const p of resources.filter((r) => r.type === T.pool && r.props.name === "apps")) {
      if (Number(p.props.minNodes ?? p.props.nodeCount ?? 0) < 2)
        report(`${p.name}: apps pool below 2 nodes`, p.urn);
    }
    for (const db of resources.filter((r) => r.type === T.database)) {
      if (Number(db.props.nodeCount) < 2)
        report(`${db.name}: production database without a standby node`, db.urn);
    }
    const turn = resources.filter((r) => r.type === T.droplet && asArray(r.props.tags).includes("area:turn"));
    if (turn.length === 1) report("production runs a single TURN droplet", turn[0]?.urn);
    for (const hpa of resources.filter(
      (r) => r.type === T.hpa && get(r.props, "metadata.namespace") === "services",
    )) {
      if (Number(get(hpa.props, "spec.minReplicas") ?? 1) < 2) {
        report(
          `${String(get(hpa.props, "metadata.name"))}: production service autoscaler allows fewer than 2 replicas`,
          hpa.urn,
        );
      }
    }
  },
};

const SECRET_PATTERNS: { what: string; pattern: RegExp }[] = [
  { what: "a value the plan redacted as secret", pattern: /\[secret\]/ },
  { what: "a private key", pattern: /-----BEGIN [A-Z ]*PRIVATE KEY-----/ },
  {
    what: "a connection string with a password",
    pattern: /\b(postgres(ql)?|rediss?|amqps?|mongodb):\/\/[^:/\s]+:[^@\s]+@/,
  },
  {
    what: "a credential assignment",
    pattern:
      /\b(api[_-]?secret|password|secret[_-]?key|webhook[_-]?key|access[_-]?token|static-auth-secret)["']?\s*[:=]\s*["']?[^\s"',}]{6,}/i,
  },
];

/** Which secret pattern a text matches, if any. */
export function secretMaterialIn(text: string): string | undefined {
  return SECRET_PATTERNS.find((p) => p.pattern.test(text))?.what;
}

export const noSecretsInConfigMaps: ResourceRule = {
  kind: "resource",
  name: "no-secrets-in-configmaps",
  description:
    "No ConfigMap holds secret material (keys, passwords, credentials, connection strings with passwords).",
  enforcement: "mandatory",
  check(r, report) {
    if (r.type !== T.configMap) return;
    for (const [key, value] of Object.entries({
      ...asRecord(r.props.data),
      ...asRecord(r.props.binaryData),
    })) {
      const found = secretMaterialIn(String(value));
      if (found)
        report(
          `ConfigMap ${String(get(r.props, "metadata.name") ?? r.name)} key ${key} holds ${found}`,
          r.urn,
        );
    }
  },
};

function portSpan(portRange: unknown): [number, number] | undefined {
  if (portRange === "all") return [1, 65535];
  const m = /^(\d+)(?:-(\d+))?$/.exec(String(portRange ?? ""));
  if (!m) return undefined;
  return [Number(m[1]), Number(m[2] ?? m[1])];
}

const OPEN_SOURCES = new Set(["0.0.0.0/0", "::/0"]);

export const sshNotOpenToInternet: ResourceRule = {
  kind: "resource",
  name: "ssh-not-open-to-internet",
  description: "No firewall opens SSH (TCP 22) to 0.0.0.0/0 or ::/0.",
  enforcement: "mandatory",
  check(r, report) {
    if (r.type !== T.firewall) return;
    for (const rule of asArray(r.props.inboundRules)) {
      if (get(rule, "protocol") !== "tcp") continue;
      const span = portSpan(get(rule, "portRange"));
      if (!span || span[0] > 22 || span[1] < 22) continue;
      const open = asArray(get(rule, "sourceAddresses")).filter((s) => OPEN_SOURCES.has(String(s)));
      if (open.length > 0)
        report(`${r.name} opens TCP ${String(get(rule, "portRange"))} (SSH) to ${open.join(", ")}`, r.urn);
    }
  },
};

/**
 * On these types `tags` is not a label but a target selector (a Cloud Firewall applies to, and a monitor alert
 * watches, every Droplet with the tag), so adding the stack tag there would widen what they apply to.
 */
export const TAG_SELECTOR_TYPES = new Set<string>([
  T.firewall,
  "digitalocean:index/monitorAlert:MonitorAlert",
]);

export const stackTagEverywhere: ResourceRule = {
  kind: "resource",
  name: "stack-tag",
  description:
    "Every resource that takes DigitalOcean tags as labels carries `stack:<stack>` (firewalls and monitor alerts use tags as target selectors and are exempt).",
  enforcement: "mandatory",
  check(r, report) {
    if (TAG_SELECTOR_TYPES.has(r.type)) return;
    const wanted = `stack:${stackOf(r.urn)}`;
    const tagLists: [string, unknown][] = [["tags", r.props.tags]];
    if (r.type === T.cluster) tagLists.push(["nodePool.tags", get(r.props, "nodePool.tags")]);
    for (const [path, tags] of tagLists) {
      if (tags === undefined) continue;
      if (!asArray(tags).includes(wanted)) report(`${r.name}: ${path} lacks ${wanted}`, r.urn);
    }
  },
};

/**
 * Port ranges (spans of more than one port) opened by the stack's firewalls, plus the Kubernetes NodePort range,
 * must not overlap: LiveKit's hostNetwork ranges share the node's port space with NodePorts, and a TURN relay
 * range overlapping the media range would make firewall rules ambiguous (components/media/port-ranges.ts).
 */
export function firewallPortRanges(resources: PolicyResource[]): NamedPortRange[] {
  const ranges: NamedPortRange[] = [KUBERNETES_NODE_PORTS];
  for (const fw of resources.filter((r) => r.type === T.firewall)) {
    for (const rule of asArray(fw.props.inboundRules)) {
      const protocol = get(rule, "protocol");
      const span = portSpan(get(rule, "portRange"));
      if ((protocol !== "tcp" && protocol !== "udp") || !span || span[0] === span[1]) continue;
      ranges.push({
        name: `${fw.name} ${protocol} ${span[0]}-${span[1]}`,
        protocols: [protocol],
        start: span[0],
        end: span[1],
      });
    }
  }
  return ranges;
}

export const portRangesDisjoint: StackRule = {
  kind: "stack",
  name: "port-ranges-disjoint",
  description: "The platform's port ranges (firewall ranges and Kubernetes NodePorts) do not overlap.",
  enforcement: "mandatory",
  check(resources, report) {
    const ranges = firewallPortRanges(resources);
    for (let i = 0; i < ranges.length; i++) {
      for (let j = i + 1; j < ranges.length; j++) {
        const a = ranges[i]!;
        const b = ranges[j]!;
        if (!a.protocols.some((p) => b.protocols.includes(p))) continue;
        if (a.start <= b.end && b.start <= a.end) report(`port ranges overlap: ${a.name} and ${b.name}`);
      }
    }
  },
};
