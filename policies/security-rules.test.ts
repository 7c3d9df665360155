import { describe, expect, it } from "vitest";
import type { PolicyResource, PolicyRule } from "./resource.ts";
import { evaluatePolicies, RULES } from "./rules.ts";
import {
  controlPlaneAllowList,
  isStackScopedTag,
  postgresMonitoringUser,
  sshOnlyWithKeys,
  tagSelectorsStackScoped,
} from "./security-cloud-rules.ts";
import { SECURITY_RULES } from "./security-rules.ts";
import {
  containersHardened,
  grafanaOperatorsOnly,
  mediaPriority,
  networkPolicyIpBlocksScoped,
} from "./security-workload-rules.ts";

const STACK = "staging";
let n = 0;
function res(type: string, props: Record<string, unknown>, name = `r${n++}`): PolicyResource {
  return { type, name, urn: `urn:pulumi:${STACK}::gomeet::${type}::${name}`, props };
}
function run(rule: PolicyRule, resources: PolicyResource[]): string[] {
  return evaluatePolicies(resources, [rule]).map((v) => v.message);
}

const FIREWALL = "digitalocean:index/firewall:Firewall";
const DROPLET = "digitalocean:index/droplet:Droplet";
const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const CR = "kubernetes:apiextensions.k8s.io:CustomResource";
const project = (environment: string) => res("digitalocean:index/project:Project", { environment });

const hardened = { capabilities: { drop: ["ALL"] }, seccompProfile: { type: "RuntimeDefault" } };
const workload = (ns: string, name: string, spec: Record<string, unknown>) =>
  res(DEPLOYMENT, { metadata: { name, namespace: ns }, spec: { template: { spec } } });

describe("security rules: a passing and a violating input each", () => {
  it("are all registered in the pack", () => {
    for (const rule of SECURITY_RULES) expect(RULES).toContain(rule);
  });

  it("tag-selectors-stack-scoped: a firewall selecting the account-wide pool:media fails", () => {
    expect(isStackScopedTag("pool:media:staging", STACK)).toBe(true);
    expect(isStackScopedTag("stack:staging", STACK)).toBe(true);
    expect(isStackScopedTag("pool:media", STACK)).toBe(false);
    expect(isStackScopedTag("pool:media:production", STACK)).toBe(false);
    expect(run(tagSelectorsStackScoped, [res(FIREWALL, { tags: ["pool:media:staging"] })])).toEqual([]);
    expect(run(tagSelectorsStackScoped, [res(FIREWALL, { tags: ["pool:media"] }, "media-fw")])).toEqual([
      'media-fw: tag selector "pool:media" is not scoped to stack staging (expected stack:staging or <tag>:staging)',
    ]);
  });

  it("control-plane-allow-list: an open staging API fails, an ephemeral stack is exempt", () => {
    const cluster = (controlPlaneFirewall: unknown) =>
      res("digitalocean:index/kubernetesCluster:KubernetesCluster", { controlPlaneFirewall }, "doks");
    const closed = cluster({ enabled: true, allowedAddresses: ["203.0.113.0/24"] });
    const open = cluster({ enabled: false, allowedAddresses: [] });
    expect(run(controlPlaneAllowList, [project("Staging"), closed])).toEqual([]);
    expect(run(controlPlaneAllowList, [project("Development"), open])).toEqual([]);
    expect(run(controlPlaneAllowList, [project("Staging"), open])).toEqual([
      "doks: control-plane firewall is disabled with 0 allowed addresses; the Kubernetes API must not be open to the internet",
    ]);
    const world = cluster({ enabled: true, allowedAddresses: ["0.0.0.0/0"] });
    expect(run(controlPlaneAllowList, [project("Production"), world])).toEqual([
      "doks: control-plane allow-list admits 0.0.0.0/0",
    ]);
  });

  it("postgres-monitoring-user: a PostgreSQL cluster without the monitoring user fails", () => {
    const pg = res("digitalocean:index/databaseCluster:DatabaseCluster", { engine: "pg" });
    const user = res("digitalocean:index/databaseUser:DatabaseUser", { name: "monitoring" });
    expect(run(postgresMonitoringUser, [pg, user])).toEqual([]);
    expect(run(postgresMonitoringUser, [pg])).toEqual([
      "1 PostgreSQL clusters but 0 `monitoring` users: the exporter would need a service's credentials",
    ]);
  });

  it("ssh-only-with-keys: SSH open to an admin range with a keyless droplet fails", () => {
    const ssh = res(FIREWALL, {
      inboundRules: [{ protocol: "tcp", portRange: "22", sourceAddresses: ["1.2.3.4/32"] }],
    });
    const noSsh = res(FIREWALL, { inboundRules: [{ protocol: "udp", portRange: "3478" }] });
    const keyed = res(DROPLET, { sshKeys: ["123"] });
    const keyless = res(DROPLET, { sshKeys: [] }, "turn-1");
    expect(run(sshOnlyWithKeys, [ssh, keyed])).toEqual([]);
    expect(run(sshOnlyWithKeys, [noSsh, keyless])).toEqual([]);
    expect(run(sshOnlyWithKeys, [{ ...ssh, name: "turn-fw" }, keyless])).toEqual([
      "turn-1: no sshKeys while turn-fw opens TCP 22; set turn.sshKeys or close SSH",
    ]);
  });

  it("media-priority: LiveKit without its class fails", () => {
    const ok = workload("media", "livekit", { priorityClassName: "gomeet-media", containers: [] });
    const none = workload("media", "livekit", { containers: [] });
    const wrong = workload("media", "egress", { priorityClassName: "gomeet-media", containers: [] });
    expect(run(mediaPriority, [ok])).toEqual([]);
    expect(run(mediaPriority, [none, wrong])).toEqual([
      "media/livekit priorityClassName is unset, expected gomeet-media",
      "media/egress priorityClassName is gomeet-media, expected gomeet-recording",
    ]);
  });

  it("network-policy-ip-blocks-scoped: the VPC admitted to every service fails", () => {
    const policy = (podSelector: unknown, ports: unknown[]) =>
      res(
        "kubernetes:networking.k8s.io/v1:NetworkPolicy",
        {
          metadata: { name: "allow-livekit-webhooks", namespace: "services" },
          spec: { podSelector, ingress: [{ from: [{ ipBlock: { cidr: "10.20.0.0/20" } }], ports }] },
        },
        "webhooks",
      );
    const port = [{ protocol: "TCP", port: 8080 }];
    expect(run(networkPolicyIpBlocksScoped, [policy({ matchLabels: { app: "meetings" } }, port)])).toEqual(
      [],
    );
    expect(run(networkPolicyIpBlocksScoped, [policy({}, [])])).toEqual([
      "services/allow-livekit-webhooks admits 10.20.0.0/20 to every pod of the namespace",
      "services/allow-livekit-webhooks admits 10.20.0.0/20 on every port",
    ]);
  });

  it("containers-hardened: capabilities kept, an unreviewed add, no seccomp or an unreviewed privileged container fail", () => {
    const good = workload("media", "egress", {
      securityContext: { seccompProfile: { type: "RuntimeDefault" } },
      containers: [
        { name: "egress", securityContext: { capabilities: { drop: ["ALL"], add: ["SYS_ADMIN"] } } },
      ],
    });
    expect(run(containersHardened, [good])).toEqual([]);
    const bad = workload("media", "livekit", {
      initContainers: [{ name: "setup", securityContext: { ...hardened, privileged: true } }],
      containers: [
        { name: "livekit", securityContext: { allowPrivilegeEscalation: false } },
        {
          name: "sidecar",
          securityContext: { ...hardened, capabilities: { drop: ["ALL"], add: ["NET_ADMIN"] } },
        },
      ],
    });
    expect(run(containersHardened, [bad])).toEqual([
      "media/livekit container setup is privileged without review",
      "media/livekit container livekit does not drop ALL capabilities",
      "media/livekit container livekit has seccomp profile unset, expected RuntimeDefault",
      "media/livekit container sidecar adds capabilities NET_ADMIN without review",
    ]);
  });

  it("grafana-operators-only: a public route without an allow-list, or Grafana with a login form, fails", () => {
    const route = (middlewares: string[]) =>
      res(
        CR,
        {
          kind: "IngressRoute",
          metadata: { name: "grafana", namespace: "monitoring" },
          spec: {
            routes: [
              {
                match: "Host(`grafana.staging.gomeet.app`)",
                middlewares: middlewares.map((name) => ({ name })),
              },
            ],
          },
        },
        "grafana-route",
      );
    const allowList = (sourceRange: string[]) =>
      res(CR, {
        kind: "Middleware",
        metadata: { name: "source-allow-list", namespace: "monitoring" },
        spec: { ipAllowList: { sourceRange } },
      });
    const release = (ini: Record<string, unknown>) =>
      res(
        "kubernetes:helm.sh/v3:Release",
        {
          chart: "kube-prometheus-stack",
          values: { grafana: { admin: { existingSecret: "grafana-admin" }, "grafana.ini": ini } },
        },
        "kps",
      );
    const sso = {
      auth: { disable_login_form: true },
      "auth.anonymous": { enabled: false },
      "auth.basic": { enabled: false },
      "auth.github": { enabled: true },
    };
    const good = [
      route(["source-allow-list", "security-headers"]),
      allowList(["203.0.113.0/24"]),
      release(sso),
    ];
    expect(run(grafanaOperatorsOnly, good)).toEqual([]);
    expect(
      run(grafanaOperatorsOnly, [route(["security-headers"]), allowList(["203.0.113.0/24"]), release(sso)]),
    ).toEqual(["grafana-route: Grafana's route does not pass an IP allow-list first"]);
    expect(
      run(grafanaOperatorsOnly, [route(["source-allow-list"]), allowList(["0.0.0.0/0"]), release(sso)]),
    ).toEqual(["grafana-route: Grafana's allow-list admits 0.0.0.0/0"]);
    const formLogin = { ...sso, auth: { disable_login_form: false }, "auth.basic": { enabled: true } };
    expect(run(grafanaOperatorsOnly, [good[0]!, good[1]!, release(formLogin)])).toEqual([
      "kps: Grafana is routed publicly but basic auth is not off",
      "kps: Grafana is routed publicly but the login form is not disabled",
    ]);
  });
});
