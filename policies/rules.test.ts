import { describe, expect, it } from "vitest";
import {
  databasesAdmitOnlyCluster,
  noSecretsInConfigMaps,
  portRangesDisjoint,
  productionHighAvailability,
  secretMaterialIn,
  sshNotOpenToInternet,
  stackTagEverywhere,
} from "./cloud-rules.ts";
import type { PolicyResource, PolicyRule } from "./resource.ts";
import { evaluatePolicies, RULES } from "./rules.ts";
import { SECURITY_RULES } from "./security-rules.ts";
import {
  isPinnedImage,
  mediaPodsProtected,
  pinnedImages,
  workloadNonRoot,
  workloadProbes,
  workloadResources,
} from "./workload-rules.ts";

const STACK = "production";
let n = 0;
function res(type: string, props: Record<string, unknown>, name = `r${n++}`): PolicyResource {
  return { type, name, urn: `urn:pulumi:${STACK}::gomeet::${type}::${name}`, props };
}
function run(rule: PolicyRule, resources: PolicyResource[]): string[] {
  return evaluatePolicies(resources, [rule]).map((v) => v.message);
}

const container = (over: Record<string, unknown> = {}) => ({
  name: "app",
  image: "registry.digitalocean.com/gomeet/auth:2026.11.26-abc1234",
  resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
  readinessProbe: { httpGet: { path: "/readyz", port: 8080 } },
  livenessProbe: { httpGet: { path: "/healthz", port: 8080 } },
  securityContext: { runAsNonRoot: true },
  ...over,
});
const deployment = (ns: string, c: Record<string, unknown>, spec: Record<string, unknown> = {}) =>
  res("kubernetes:apps/v1:Deployment", {
    metadata: { name: "svc", namespace: ns },
    spec: { template: { metadata: { labels: { app: "svc" } }, spec: { containers: [c], ...spec } } },
  });

describe("policy rules: a passing and a violating input each", () => {
  it("databases-admit-only-cluster", () => {
    const db = res("digitalocean:index/databaseCluster:DatabaseCluster", { engine: "pg" });
    const ok = res("digitalocean:index/databaseFirewall:DatabaseFirewall", {
      rules: [{ type: "k8s", value: "c1" }],
    });
    expect(run(databasesAdmitOnlyCluster, [db, ok])).toEqual([]);
    const open = res(
      "digitalocean:index/databaseFirewall:DatabaseFirewall",
      {
        rules: [{ type: "ip_addr", value: "0.0.0.0/0" }],
      },
      "pg-fw",
    );
    expect(run(databasesAdmitOnlyCluster, [db, open])).toEqual([
      "pg-fw admits ip_addr 0.0.0.0/0; only the cluster (k8s) may connect",
    ]);
    expect(run(databasesAdmitOnlyCluster, [db])).toEqual([
      "1 of 1 managed databases have no database firewall",
    ]);
  });

  it("production-high-availability", () => {
    const project = res("digitalocean:index/project:Project", { environment: "Production" });
    const cluster = (ha: boolean) =>
      res(
        "digitalocean:index/kubernetesCluster:KubernetesCluster",
        { ha, nodePool: { minNodes: 3 } },
        "doks",
      );
    const db = (nodeCount: number) =>
      res("digitalocean:index/databaseCluster:DatabaseCluster", { engine: "pg", nodeCount }, "pg");
    expect(run(productionHighAvailability, [project, cluster(true), db(2)])).toEqual([]);
    expect(run(productionHighAvailability, [project, cluster(false), db(1)])).toEqual([
      "doks: production cluster without HA control plane (ha: true)",
      "pg: production database without a standby node",
    ]);
    // The same resources outside a Production project are fine.
    expect(run(productionHighAvailability, [cluster(false), db(1)])).toEqual([]);
  });

  it("workload-resources", () => {
    expect(run(workloadResources, [deployment("services", container())])).toEqual([]);
    expect(
      run(workloadResources, [deployment("services", container({ resources: { requests: { cpu: "1" } } }))]),
    ).toEqual([
      "services/svc container app has no cpu and memory requests",
      "services/svc container app has no cpu and memory limits",
    ]);
  });

  it("workload-probes", () => {
    expect(run(workloadProbes, [deployment("services", container())])).toEqual([]);
    expect(run(workloadProbes, [deployment("services", container({ livenessProbe: undefined }))])).toEqual([
      "services/svc container app has no livenessProbe",
    ]);
  });

  it("workload-non-root, with the media namespace named as the exception", () => {
    expect(run(workloadNonRoot, [deployment("services", container())])).toEqual([]);
    expect(run(workloadNonRoot, [deployment("services", container({ securityContext: {} }))])).toEqual([
      "services/svc container app may run as root (set runAsNonRoot: true)",
    ]);
    expect(run(workloadNonRoot, [deployment("media", container({ securityContext: {} }))])).toEqual([]);
  });

  it("pinned-images", () => {
    expect(isPinnedImage("traefik:v3.2.1")).toBe(true);
    expect(isPinnedImage("ghcr.io/x/y@sha256:abcd")).toBe(true);
    expect(isPinnedImage("localhost:5000/app")).toBe(false);
    expect(isPinnedImage("nginx:latest")).toBe(false);
    expect(run(pinnedImages, [deployment("services", container())])).toEqual([]);
    expect(
      run(pinnedImages, [deployment("services", container({ image: "livekit/livekit-server:latest" }))]),
    ).toEqual(['services/svc container app uses an unpinned image "livekit/livekit-server:latest"']);
  });

  it("no-secrets-in-configmaps", () => {
    const cm = (data: Record<string, string>) =>
      res("kubernetes:core/v1:ConfigMap", { metadata: { name: "cfg" }, data });
    expect(
      run(noSecretsInConfigMaps, [cm({ "livekit.yaml": "port: 7880\nrtc:\n  tcp_port: 7881\n" })]),
    ).toEqual([]);
    expect(run(noSecretsInConfigMaps, [cm({ url: "postgresql://auth:hunter22@db:25060/auth" })])).toEqual([
      "ConfigMap cfg key url holds a connection string with a password",
    ]);
    expect(run(noSecretsInConfigMaps, [cm({ "keys.yaml": "keys:\n  APIabc: [secret]\n" })])).toEqual([
      "ConfigMap cfg key keys.yaml holds a value the plan redacted as secret",
    ]);
    expect(secretMaterialIn("static-auth-secret=abcdef123456")).toBe("a credential assignment");
    expect(secretMaterialIn("-----BEGIN EC PRIVATE KEY-----")).toBe("a private key");
  });

  it("ssh-not-open-to-internet", () => {
    const fw = (sources: string[], portRange = "22") =>
      res(
        "digitalocean:index/firewall:Firewall",
        { inboundRules: [{ protocol: "tcp", portRange, sourceAddresses: sources }] },
        "turn-fw",
      );
    expect(run(sshNotOpenToInternet, [fw(["203.0.113.10/32"])])).toEqual([]);
    expect(run(sshNotOpenToInternet, [fw(["0.0.0.0/0", "::/0"])])).toEqual([
      "turn-fw opens TCP 22 (SSH) to 0.0.0.0/0, ::/0",
    ]);
    expect(run(sshNotOpenToInternet, [fw(["0.0.0.0/0"], "1-1024")])).toEqual([
      "turn-fw opens TCP 1-1024 (SSH) to 0.0.0.0/0",
    ]);
    expect(run(sshNotOpenToInternet, [fw(["0.0.0.0/0"], "443")])).toEqual([]);
  });

  it("stack-tag", () => {
    const vpcLike = (tags: string[]) => res("digitalocean:index/droplet:Droplet", { tags }, "turn-1");
    expect(run(stackTagEverywhere, [vpcLike(["gomeet", `stack:${STACK}`])])).toEqual([]);
    expect(run(stackTagEverywhere, [vpcLike(["gomeet", "stack:staging"])])).toEqual([
      `turn-1: tags lacks stack:${STACK}`,
    ]);
    expect(run(stackTagEverywhere, [res("digitalocean:index/vpc:Vpc", {})])).toEqual([]);
    // A firewall's tags select the Droplets it applies to; the rule leaves them alone.
    expect(
      run(stackTagEverywhere, [res("digitalocean:index/firewall:Firewall", { tags: ["pool:media"] })]),
    ).toEqual([]);
  });

  it("media-pods-protected", () => {
    const media = (grace: number, anti: boolean) =>
      deployment("media", container(), {
        terminationGracePeriodSeconds: grace,
        ...(anti
          ? {
              affinity: {
                podAntiAffinity: {
                  requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: "kubernetes.io/hostname" }],
                },
              },
            }
          : {}),
      });
    const pdb = res("kubernetes:policy/v1:PodDisruptionBudget", {
      metadata: { namespace: "media" },
      spec: { selector: { matchLabels: { app: "svc" } } },
    });
    expect(run(mediaPodsProtected, [media(18_000, true), pdb])).toEqual([]);
    expect(run(mediaPodsProtected, [media(30, false)])).toEqual([
      "media/svc has no PodDisruptionBudget selecting its pods",
      "media/svc has no required pod anti-affinity on kubernetes.io/hostname",
      "media/svc terminationGracePeriodSeconds is 30, below 3600",
    ]);
  });

  it("port-ranges-disjoint", () => {
    const fw = (name: string, protocol: string, portRange: string) =>
      res(
        "digitalocean:index/firewall:Firewall",
        { inboundRules: [{ protocol, portRange, sourceAddresses: ["0.0.0.0/0"] }] },
        name,
      );
    expect(
      run(portRangesDisjoint, [fw("media", "udp", "50000-60000"), fw("turn", "udp", "40000-49999")]),
    ).toEqual([]);
    expect(
      run(portRangesDisjoint, [fw("media", "udp", "50000-60000"), fw("turn", "udp", "49000-50500")]),
    ).toEqual(["port ranges overlap: media udp 50000-60000 and turn udp 49000-50500"]);
    expect(run(portRangesDisjoint, [fw("media", "udp", "31000-33000")])).toEqual([
      "port ranges overlap: kubernetes.nodePorts and media udp 31000-33000",
    ]);
  });

  it("every rule in the pack is covered above", () => {
    // The security rules have their own file (policies/security-rules.test.ts).
    const covered = RULES.filter((r) => !SECURITY_RULES.includes(r));
    expect(covered.map((r) => r.name).sort()).toEqual(
      [
        "databases-admit-only-cluster",
        "production-high-availability",
        "workload-resources",
        "workload-probes",
        "workload-non-root",
        "pinned-images",
        "no-secrets-in-configmaps",
        "ssh-not-open-to-internet",
        "stack-tag",
        "media-pods-protected",
        "port-ranges-disjoint",
        // Tested in policies/kubernetes-rules.test.ts and policies/lifecycle-rules.test.ts.
        "kubernetes-object-identity-unique",
        "namespaced-objects-after-namespace",
        "custom-resources-after-crds",
        "nodeports-within-quota",
        "container-limits-within-limitrange",
        "quota-headroom",
        "no-protect-on-ephemeral",
        "node-count-ignored-only-when-autoscaled",
        "doks-version-supported",
        "doks-version-support-ending",
        // Tested in policies/job-rules.test.ts.
        "disruption-budgets-select-scalable-pods",
        "jobs-kept-after-finishing",
      ].sort(),
    );
  });
});
