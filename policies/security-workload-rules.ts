import {
  asArray,
  asRecord,
  get,
  type PolicyResource,
  type ResourceRule,
  type StackRule,
} from "./resource.ts";
import { WORKLOAD_TYPES } from "./workload-rules.ts";

/**
 * Security rules over the Kubernetes objects the stack declares itself (docs/security.md). Charts (Traefik,
 * kube-prometheus-stack, cert-manager) bring their own security contexts; their values are checked where the
 * stack sets them (Grafana's sign-in below).
 */

/**
 * Capabilities a container may add back after dropping ALL, by `namespace/workload/container`. Each entry is a
 * reviewed exception with its reason in the component that declares it.
 */
export const ALLOWED_CAPABILITY_ADDS: Record<string, readonly string[]> = {
  // Chrome's sandbox in room-composite recordings (components/media/egress.ts).
  "media/egress/egress": ["SYS_ADMIN"],
};

/** Privileged containers, by `namespace/workload/container`: LiveKit's init step raising host-wide UDP buffers. */
export const ALLOWED_PRIVILEGED = new Set(["media/livekit/udp-buffers"]);

interface Container {
  name?: string;
  securityContext?: {
    privileged?: boolean;
    capabilities?: { drop?: unknown[]; add?: unknown[] };
    seccompProfile?: { type?: string };
  };
}

function workloadKey(r: PolicyResource): { ns: string; name: string } {
  return {
    ns: String(get(r.props, "metadata.namespace") ?? ""),
    name: String(get(r.props, "metadata.name") ?? r.name),
  };
}

export const containersHardened: ResourceRule = {
  kind: "resource",
  name: "containers-hardened",
  description:
    "Every container and init container drops ALL capabilities, adds back only reviewed ones, runs under the RuntimeDefault seccomp profile (its own or the pod's) and is privileged only where reviewed.",
  enforcement: "mandatory",
  check(r, report) {
    if (!WORKLOAD_TYPES.has(r.type)) return;
    const pod = asRecord(get(r.props, "spec.template.spec"));
    const podSeccomp = get(pod, "securityContext.seccompProfile.type");
    const { ns, name } = workloadKey(r);
    const all = [...asArray(pod.initContainers), ...asArray(pod.containers)] as Container[];
    for (const c of all) {
      const key = `${ns}/${name}/${c.name ?? "?"}`;
      const where = `${ns}/${name} container ${c.name ?? "?"}`;
      const sc = c.securityContext ?? {};
      const drop = asArray(sc.capabilities?.drop).map(String);
      if (!drop.includes("ALL")) report(`${where} does not drop ALL capabilities`, r.urn);
      const allowed = ALLOWED_CAPABILITY_ADDS[key] ?? [];
      const extra = asArray(sc.capabilities?.add)
        .map(String)
        .filter((cap) => !allowed.includes(cap));
      if (extra.length > 0) report(`${where} adds capabilities ${extra.join(", ")} without review`, r.urn);
      const seccomp = sc.seccompProfile?.type ?? podSeccomp;
      if (seccomp !== "RuntimeDefault" && seccomp !== "Localhost") {
        report(`${where} has seccomp profile ${String(seccomp ?? "unset")}, expected RuntimeDefault`, r.urn);
      }
      if (sc.privileged === true && !ALLOWED_PRIVILEGED.has(key)) {
        report(`${where} is privileged without review`, r.urn);
      }
    }
  },
};

/** The PriorityClass each media workload runs at (components/baseline/priority-classes.ts). */
export const MEDIA_PRIORITY: Record<string, string> = {
  livekit: "gomeet-media",
  egress: "gomeet-recording",
};

export const mediaPriority: ResourceRule = {
  kind: "resource",
  name: "media-priority",
  description:
    "LiveKit runs at gomeet-media and egress at gomeet-recording: without a class they run at priority 0, below the services, and are the first to be preempted or left pending.",
  enforcement: "mandatory",
  check(r, report) {
    if (r.type !== "kubernetes:apps/v1:Deployment") return;
    const { ns, name } = workloadKey(r);
    if (ns !== "media") return;
    const expected = MEDIA_PRIORITY[name];
    const actual = get(r.props, "spec.template.spec.priorityClassName");
    if (expected === undefined) {
      if (actual === undefined) report(`media/${name} has no priorityClassName`, r.urn);
    } else if (actual !== expected) {
      report(`media/${name} priorityClassName is ${String(actual ?? "unset")}, expected ${expected}`, r.urn);
    }
  },
};

export const networkPolicyIpBlocksScoped: ResourceRule = {
  kind: "resource",
  name: "network-policy-ip-blocks-scoped",
  description:
    "A NetworkPolicy in the services namespace that admits address ranges (ipBlock) selects the pods it is for and names its ports: a range admitted to every service reaches more than the one flow it was opened for.",
  enforcement: "mandatory",
  check(r, report) {
    if (r.type !== "kubernetes:networking.k8s.io/v1:NetworkPolicy") return;
    if (get(r.props, "metadata.namespace") !== "services") return;
    const name = String(get(r.props, "metadata.name") ?? r.name);
    const selected = Object.keys(asRecord(get(r.props, "spec.podSelector.matchLabels"))).length > 0;
    for (const rule of asArray(get(r.props, "spec.ingress"))) {
      const ranges = asArray(get(rule, "from")).filter((p) => get(p, "ipBlock") !== undefined);
      if (ranges.length === 0) continue;
      const cidrs = ranges.map((p) => String(get(p, "ipBlock.cidr"))).join(", ");
      if (!selected) report(`services/${name} admits ${cidrs} to every pod of the namespace`, r.urn);
      if (asArray(get(rule, "ports")).length === 0)
        report(`services/${name} admits ${cidrs} on every port`, r.urn);
    }
  },
};

const RELEASE = "kubernetes:helm.sh/v3:Release";
const OAUTH_SECTIONS = ["auth.github", "auth.generic_oauth", "auth.google", "auth.gitlab", "auth.azuread"];

function grafanaRoutes(resources: PolicyResource[]): PolicyResource[] {
  return resources.filter(
    (r) =>
      // The kind, not the Pulumi type: `kubernetes:traefik.io/v1alpha1:IngressRoute` in a preview,
      // `kubernetes:apiextensions.k8s.io:CustomResource` in some SDK paths.
      get(r.props, "kind") === "IngressRoute" &&
      asArray(get(r.props, "spec.routes")).some((route) =>
        /Host\(`grafana\./.test(String(get(route, "match"))),
      ),
  );
}

function allowListOf(resources: PolicyResource[], namespace: string, name: string): string[] | undefined {
  const mw = resources.find(
    (r) =>
      get(r.props, "kind") === "Middleware" &&
      get(r.props, "metadata.namespace") === namespace &&
      get(r.props, "metadata.name") === name,
  );
  const range = get(mw?.props, "spec.ipAllowList.sourceRange");
  return Array.isArray(range) ? range.map(String) : undefined;
}

export const grafanaOperatorsOnly: StackRule = {
  kind: "stack",
  name: "grafana-operators-only",
  description:
    "A public Grafana route passes an IP allow-list first (never 0.0.0.0/0), and Grafana signs users in through OAuth/OIDC only: anonymous access, basic auth and the login form off, the admin password from a Secret.",
  enforcement: "mandatory",
  check(resources, report) {
    const routes = grafanaRoutes(resources);
    for (const route of routes) {
      const ns = String(get(route.props, "metadata.namespace"));
      for (const r of asArray(get(route.props, "spec.routes"))) {
        const first = get(asArray(get(r, "middlewares"))[0], "name");
        const range = typeof first === "string" ? allowListOf(resources, ns, first) : undefined;
        if (!range || range.length === 0) {
          report(`${route.name}: Grafana's route does not pass an IP allow-list first`, route.urn);
        } else if (range.some((c) => c === "0.0.0.0/0" || c === "::/0")) {
          report(`${route.name}: Grafana's allow-list admits ${range.join(", ")}`, route.urn);
        }
      }
    }
    if (routes.length === 0) return;
    for (const release of resources.filter(
      (r) => r.type === RELEASE && get(r.props, "chart") === "kube-prometheus-stack",
    )) {
      const grafana = asRecord(get(release.props, "values.grafana"));
      const ini = asRecord(grafana["grafana.ini"]);
      const problems: string[] = [];
      if (get(ini["auth.anonymous"], "enabled") !== false) problems.push("anonymous access is not off");
      if (get(ini["auth.basic"], "enabled") !== false) problems.push("basic auth is not off");
      if (get(ini.auth, "disable_login_form") !== true) problems.push("the login form is not disabled");
      if (!OAUTH_SECTIONS.some((s) => get(ini[s], "enabled") === true))
        problems.push("no OAuth/OIDC provider");
      if (typeof get(grafana, "admin.existingSecret") !== "string" || grafana.adminPassword !== undefined)
        problems.push("the admin password does not come from a Secret");
      for (const p of problems) report(`${release.name}: Grafana is routed publicly but ${p}`, release.urn);
    }
  },
};
