import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { dropletSize } from "../../catalogue/droplet-sizes.ts";
import { POOL_LABEL } from "../../components/cluster/node-pools.ts";
import { allocatableMemoryMib, DAEMONSET_MEMORY_MIB } from "../../components/media/node-sizing.ts";
import type { PlanGraph, PlannedResource } from "../../infra/plan/engine.ts";
import { recordProgram } from "../../infra/plan/engine.ts";
import {
  fakeNumericId,
  fakePassword,
  fakePublicIpv4,
  fakeResource,
  fakeUuid,
} from "../../infra/plan/fake-outputs.ts";
import { planInline } from "../../infra/plan/plan.ts";
import { createPlatform } from "../../infra/platform.ts";
import { loadPlatformConfig } from "../../stacks/loader.ts";
import type { PlatformConfig } from "../../stacks/schema.ts";
import { named, ofType, onlyUnder, TYPES } from "./stack-helpers.ts";

const T = {
  ...TYPES,
  deployment: "kubernetes:apps/v1:Deployment",
  secret: "kubernetes:core/v1:Secret",
  configMap: "kubernetes:core/v1:ConfigMap",
  service: "kubernetes:core/v1:Service",
  pdb: "kubernetes:policy/v1:PodDisruptionBudget",
  hpa: "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
  podMonitor: "kubernetes:monitoring.coreos.com/v1:PodMonitor",
  serviceMonitor: "kubernetes:monitoring.coreos.com/v1:ServiceMonitor",
  firewall: "digitalocean:index/firewall:Firewall",
  reservedIp: "digitalocean:index/reservedIp:ReservedIp",
  assignment: "digitalocean:index/reservedIpAssignment:ReservedIpAssignment",
  dnsRecord: "digitalocean:index/dnsRecord:DnsRecord",
  alert: "digitalocean:index/monitorAlert:MonitorAlert",
  password: "random:index/randomPassword:RandomPassword",
} as const;

const ADMIN_CIDR = "203.0.113.10/32";
const STACKS = [
  {
    stack: "production",
    environment: "production",
    overrides: { turn: { adminSshCidrs: [ADMIN_CIDR], sshKeys: ["41424344"] } },
  },
  { stack: "staging", environment: "staging", overrides: {} },
  { stack: "eph-alice", environment: "ephemeral", overrides: {} },
] as const;

// biome-ignore lint/suspicious/noExplicitAny: recorded inputs are untyped JSON trees; the assertions check their shape.
type Obj = Record<string, any>;
const spec = (r: PlannedResource): Obj => r.inputs.spec as Obj;
const podSpec = (r: PlannedResource): Obj => spec(r).template.spec as Obj;

/** What the fake engine answers for a resource: the value another resource must reference to be wired to it. */
const reservedIpOf = (name: string) => fakePublicIpv4(`${T.reservedIp}::${name}#reserved`);
const turnSecret = () => fakePassword(`${T.password}::turn-shared-secret`, 48);

interface Planned {
  graph: PlanGraph;
  config: PlatformConfig;
  /** Every secret value the engine redacted, as the program produced it. */
  secrets: unknown[];
}

async function plan(stack: string, environment: string, overrides: object): Promise<Planned> {
  const secrets: unknown[] = [];
  const graph = await planInline({ stack, environment, overrides, onSecret: (v) => secrets.push(v) });
  return { graph, config: loadPlatformConfig({ environment, overrides, stack }), secrets };
}

/** Secret strings, including the values of secret maps (the Kubernetes SDK redacts a Secret's whole stringData). */
function secretStrings(secrets: unknown[]): string[] {
  return secrets.flatMap((s) =>
    typeof s === "string"
      ? [s]
      : s !== null && typeof s === "object"
        ? Object.values(s).filter((v) => typeof v === "string")
        : [],
  );
}

function secretDocuments(secrets: unknown[], predicate: (text: string) => boolean): string[] {
  return secretStrings(secrets).filter(predicate);
}

const inMediaNamespace = (r: PlannedResource) =>
  (r.inputs.metadata as Obj | undefined)?.namespace === "media";

describe.each(STACKS)("media layer — $stack", ({ stack, environment, overrides }) => {
  let p: Planned;
  const production = environment === "production";

  it("plans", async () => {
    p = await plan(stack, environment, overrides);
    expect(
      ofType(p.graph, T.deployment)
        .filter(inMediaNamespace)
        .map((d) => d.name)
        .sort(),
    ).toEqual(["egress-deployment", "livekit-deployment"]);
    expect(named(p.graph, T.deployment, "turn-prober-deployment").inputs.metadata).toMatchObject({
      namespace: "monitoring",
    });
  });

  it("runs LiveKit as one hostNetwork pod per media node, drained on SIGTERM", () => {
    const deployment = named(p.graph, T.deployment, "livekit-deployment");
    const pod = podSpec(deployment);
    expect(pod.hostNetwork).toBe(true);
    expect(pod.dnsPolicy).toBe("ClusterFirstWithHostNet");
    expect(pod.terminationGracePeriodSeconds).toBe(18_000);
    expect(pod.nodeSelector).toEqual({ [POOL_LABEL]: "media" });
    expect(pod.tolerations).toEqual([
      { key: "gomeet.io/media", operator: "Equal", value: "livekit", effect: "NoSchedule" },
    ]);
    const antiAffinity = pod.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution;
    expect(antiAffinity).toEqual([
      {
        labelSelector: { matchLabels: spec(deployment).selector.matchLabels },
        topologyKey: "kubernetes.io/hostname",
      },
    ]);
    const container = pod.containers[0];
    expect(container.image).toBe("livekit/livekit-server:v1.13.5");
    expect(container.readinessProbe.httpGet).toEqual({ path: "/", port: "http" });
    // Liveness never asks `/` (406 under load) and tolerates at least two minutes of failure.
    expect(container.livenessProbe.httpGet).toBeUndefined();
    expect(container.livenessProbe.tcpSocket).toEqual({ port: "http" });
    expect(
      container.livenessProbe.periodSeconds * container.livenessProbe.failureThreshold,
    ).toBeGreaterThanOrEqual(120);
    expect(container.ports).toContainEqual({ name: "http", containerPort: 7880, protocol: "TCP" });
    expect(container.ports).toContainEqual({
      name: "rtc-tcp",
      containerPort: p.config.media.rtcTcpPort,
      protocol: "TCP",
    });
    const media = dropletSize(p.config.cluster.pools.media.size);
    const memory = `${allocatableMemoryMib(media) - DAEMONSET_MEMORY_MIB}Mi`;
    expect(container.resources).toEqual({
      requests: { cpu: `${media.vcpus * 1000 - 1000}m`, memory },
      limits: { cpu: `${media.vcpus * 1000 - 1000}m`, memory },
    });
    const init = pod.initContainers[0];
    expect(init.securityContext).toEqual({
      privileged: true,
      runAsUser: 0,
      runAsNonRoot: false,
      capabilities: { drop: ["ALL"] },
      seccompProfile: { type: "RuntimeDefault" },
    });
    expect(container.securityContext).toMatchObject({ capabilities: { drop: ["ALL"] } });
    expect(pod.priorityClassName).toBe("gomeet-media");
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65532 });
    expect(init.command).toEqual([
      "sysctl",
      "-w",
      "net.core.rmem_max=16777216",
      "net.core.wmem_max=16777216",
    ]);
    expect(pod.volumes[0].secret.secretName).toBe("livekit-config");
    expect(pod.volumes[0].configMap).toBeUndefined();
  });

  it("bounds the SFU's disruption and autoscaling by the media pool", () => {
    const labels = spec(named(p.graph, T.deployment, "livekit-deployment")).selector.matchLabels;
    const pdb = named(p.graph, T.pdb, "livekit-pdb");
    expect(spec(pdb)).toEqual({ maxUnavailable: 1, selector: { matchLabels: labels } });
    const hpa = spec(named(p.graph, T.hpa, "livekit-hpa"));
    expect(hpa.scaleTargetRef).toEqual({ apiVersion: "apps/v1", kind: "Deployment", name: "livekit" });
    expect(hpa.minReplicas).toBe(p.config.cluster.pools.media.minNodes);
    expect(hpa.maxReplicas).toBe(p.config.cluster.pools.media.maxNodes);
    const service = spec(named(p.graph, T.service, "livekit-service"));
    expect(service.type).toBe("ClusterIP");
    expect(service.ports).toEqual([{ name: "http", port: 7880, targetPort: "http", protocol: "TCP" }]);
    expect(spec(named(p.graph, T.podMonitor, "livekit-podmonitor")).podMetricsEndpoints[0].port).toBe(
      "metrics",
    );
  });

  it("keeps every key and secret in Secrets only", () => {
    expect(ofType(p.graph, T.configMap).filter(inMediaNamespace)).toEqual([]);
    for (const name of ["livekit-config", "egress-config", "turn-prober-env"]) {
      expect(named(p.graph, T.secret, name).secretInputs.length).toBeGreaterThan(0);
    }
    expect(named(p.graph, T.secret, "livekit-config").secretInputs).toContain("stringData.livekit.yaml");
    // No secret value the program produced appears in plain text in any recorded input.
    const plaintext = JSON.stringify(p.graph.resources.map((r) => r.inputs));
    const values = secretStrings(p.secrets).filter((s) => s.length >= 16);
    expect(values.length).toBeGreaterThan(3);
    for (const value of values) expect(plaintext.includes(value)).toBe(false);
  });

  it("renders livekit.yaml against the stack's Valkey, TURN fleet and ports", () => {
    const [text, ...others] = secretDocuments(p.secrets, (s) => s.includes("port_range_start"));
    expect(others).toEqual([]);
    const yaml = parse(text ?? "") as Obj;
    const valkey = named(p.graph, T.database, "valkey-cluster");
    const state = fakeResource(
      valkey.type,
      `${valkey.type}::${valkey.name}`,
      valkey.name,
      valkey.inputs,
    ).state;
    expect(yaml.redis).toMatchObject({
      address: `${state.privateHost}:${state.port}`,
      username: "default",
      tls: { enabled: true },
    });
    const ips = Array.from({ length: p.config.turn.count }, (_, i) => reservedIpOf(`turn-${i + 1}-ip`));
    expect(yaml.rtc.stun_servers).toEqual(ips.map((ip) => `${ip}:3478`));
    expect(yaml.rtc.port_range_start).toBe(p.config.media.rtcUdpPorts.min);
    expect(yaml.rtc.port_range_end).toBe(p.config.media.rtcUdpPorts.max);
    expect(yaml.rtc.tcp_port).toBe(p.config.media.rtcTcpPort);
    // Every TURN droplet by its own name, not the shared round-robin name (components/media/turn-settings.ts).
    const hosts = ips.map((_, i) => `turn-${i + 1}.${p.config.domain}`);
    expect(yaml.rtc.turn_servers.map(({ host, port, protocol }: Obj) => ({ host, port, protocol }))).toEqual([
      ...hosts.map((host) => ({ host, port: 3478, protocol: "udp" })),
      ...hosts.map((host) => ({ host, port: 443, protocol: "tls" })),
    ]);
    for (const server of yaml.rtc.turn_servers) expect(server.secret).toBe(turnSecret());
    expect(yaml.room.max_participants).toBe(p.config.media.participantsPerMeeting);
    expect(Object.keys(yaml.keys)).toHaveLength(1);
  });

  it("opens exactly the WebRTC ports on the media pool's nodes", () => {
    const firewall = named(p.graph, T.firewall, "livekit-webrtc-firewall");
    // Stack-scoped: an account-wide tag would apply this firewall to every stack's media nodes.
    expect(firewall.inputs.tags).toEqual([`pool:media:${stack}`]);
    expect(named(p.graph, T.nodePool, "cluster-media").inputs.tags).toContain(`pool:media:${stack}`);
    const { min, max } = p.config.media.rtcUdpPorts;
    expect(firewall.inputs.inboundRules).toEqual([
      { protocol: "udp", portRange: `${min}-${max}`, sourceAddresses: ["0.0.0.0/0", "::/0"] },
      {
        protocol: "tcp",
        portRange: String(p.config.media.rtcTcpPort),
        sourceAddresses: ["0.0.0.0/0", "::/0"],
      },
    ]);
  });

  it("builds the TURN fleet: droplets in the VPC, each behind its own reserved IP and DNS name", () => {
    const droplets = ofType(p.graph, T.droplet);
    expect(droplets).toHaveLength(p.config.turn.count);
    const vpcId = fakeUuid(`${T.vpc}::network-vpc`);
    const shared = ofType(p.graph, T.dnsRecord).filter((r) => r.inputs.name === "turn");
    expect(shared.map((r) => r.inputs.value).sort()).toEqual(
      droplets.map((_, i) => reservedIpOf(`turn-${i + 1}-ip`)).sort(),
    );
    droplets.forEach((_, i) => {
      const n = i + 1;
      const droplet = named(p.graph, T.droplet, `turn-${n}-droplet`);
      expect(droplet.inputs).toMatchObject({
        name: `gomeet-${stack}-turn-${n}`,
        size: p.config.turn.size,
        region: "sgp1",
        image: "debian-12-x64",
        monitoring: true,
        vpcUuid: vpcId,
      });
      expect(droplet.inputs.tags).toEqual(expect.arrayContaining([`stack:${stack}`, "area:turn"]));
      expect(droplet.secretInputs).toContain("userData");
      const ip = reservedIpOf(`turn-${n}-ip`);
      const reserved = named(p.graph, T.reservedIp, `turn-${n}-ip`);
      expect(reserved.inputs.dropletId).toBeUndefined();
      expect(reserved.protect).toBe(production);
      const assignment = named(p.graph, T.assignment, `turn-${n}-ip-assignment`);
      expect(assignment.inputs).toEqual({
        ipAddress: ip,
        dropletId: Number(fakeNumericId(`${T.droplet}::turn-${n}-droplet`)),
      });
      expect(assignment.dependencies).toEqual(expect.arrayContaining([droplet.urn, reserved.urn]));
      const record = named(p.graph, T.dnsRecord, `turn-${n}-dns-turn-${n}`);
      expect(record.inputs).toMatchObject({ domain: p.config.domain, type: "A", value: ip });
    });
    const urns = JSON.stringify(named(p.graph, T.projectResources, "project-resources").inputs.resources);
    for (const d of droplets)
      expect(urns).toContain(`do:droplet:${fakeNumericId(`${T.droplet}::${d.name}`)}`);
    expect(urns).toContain(`do:reservedip:${reservedIpOf("turn-1-ip")}`);
  });

  it("boots each droplet's coturn on the reserved IP with the fleet's secret and relay range", () => {
    const userData = secretDocuments(p.secrets, (s) => s.startsWith("#cloud-config"));
    expect(userData).toHaveLength(p.config.turn.count);
    userData.forEach((text) => {
      const doc = parse(text.slice("#cloud-config\n".length)) as Obj;
      const n = Number(/turn-(\d+)$/.exec(doc.hostname)?.[1]);
      const conf = doc.write_files.find((f: Obj) => f.path === "/etc/turnserver.conf").content as string;
      expect(conf).toContain(`static-auth-secret=${turnSecret()}\n`);
      expect(conf).toContain(
        `min-port=${p.config.turn.relayPorts.min}\nmax-port=${p.config.turn.relayPorts.max}\n`,
      );
      const anchor = doc.write_files.find(
        (f: Obj) => f.path === "/usr/local/sbin/gomeet-turn-anchor",
      ).content;
      expect(anchor).toContain(`"$anchor" ${reservedIpOf(`turn-${n}-ip`)} "$anchor"`);
      // No DNS token in this stack: the droplet proves only its own name over HTTP-01.
      expect(JSON.stringify(doc.runcmd)).toContain(
        `--standalone --preferred-challenges http --cert-name turn -d turn-${n}.${p.config.domain}`,
      );
    });
  });

  it("opens exactly the TURN and relay ports, and SSH only from admin addresses", () => {
    const firewall = named(p.graph, T.firewall, "turn-firewall");
    expect(firewall.inputs.tags).toBeUndefined();
    expect(firewall.inputs.dropletIds).toEqual(
      ofType(p.graph, T.droplet).map((d) => Number(fakeNumericId(`${T.droplet}::${d.name}`))),
    );
    const anywhere = ["0.0.0.0/0", "::/0"];
    const { min, max } = p.config.turn.relayPorts;
    const expected = [
      { protocol: "udp", portRange: "3478", sourceAddresses: anywhere },
      { protocol: "tcp", portRange: "3478", sourceAddresses: anywhere },
      { protocol: "tcp", portRange: "5349", sourceAddresses: anywhere },
      { protocol: "udp", portRange: "5349", sourceAddresses: anywhere },
      { protocol: "tcp", portRange: "443", sourceAddresses: anywhere },
      { protocol: "udp", portRange: `${min}-${max}`, sourceAddresses: anywhere },
      { protocol: "tcp", portRange: "80", sourceAddresses: anywhere },
    ];
    if (production) expected.push({ protocol: "tcp", portRange: "22", sourceAddresses: [ADMIN_CIDR] });
    expect(firewall.inputs.inboundRules).toEqual(expected);
  });

  it(`${environment === "ephemeral" ? "has no" : "has"} DigitalOcean alerts on TURN CPU and bandwidth`, () => {
    const alerts = ofType(p.graph, T.alert);
    if (p.config.monitoring.alertEmails.length === 0) {
      expect(alerts).toEqual([]);
      return;
    }
    expect(alerts.map((a) => a.inputs.type).sort()).toEqual([
      "v1/insights/droplet/cpu",
      "v1/insights/droplet/public_outbound_bandwidth",
    ]);
    for (const alert of alerts) {
      expect(alert.inputs.entities).toEqual(
        ofType(p.graph, T.droplet).map((d) => fakeNumericId(`${T.droplet}::${d.name}`)),
      );
      expect(alert.inputs.alerts).toEqual({ emails: p.config.monitoring.alertEmails });
    }
    const bandwidth = alerts.find((a) => String(a.inputs.type).endsWith("bandwidth"));
    expect(bandwidth?.inputs.value).toBe(dropletSize(p.config.turn.size).network_cap_gbps * 800);
  });

  it("runs egress on the egress pool with its config in a Secret", () => {
    const pod = podSpec(named(p.graph, T.deployment, "egress-deployment"));
    expect(pod.nodeSelector).toEqual({ [POOL_LABEL]: "egress" });
    expect(pod.tolerations[0]).toMatchObject({ key: "gomeet.io/egress", effect: "NoSchedule" });
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(3_600);
    expect(pod.containers[0].env).toEqual([
      {
        name: "EGRESS_CONFIG_BODY",
        valueFrom: { secretKeyRef: { name: "egress-config", key: "config.yaml" } },
      },
    ]);
    const hpa = spec(named(p.graph, T.hpa, "egress-hpa"));
    expect(hpa.maxReplicas).toBeLessThanOrEqual(p.config.egress.maxReplicas);
    expect(hpa.minReplicas).toBeGreaterThanOrEqual(1);
    expect(hpa.minReplicas).toBeLessThanOrEqual(hpa.maxReplicas);
    const [text] = secretDocuments(p.secrets, (s) => s.includes("storage:"));
    const egress = parse(text ?? "") as Obj;
    expect(egress.storage.s3).toMatchObject({
      bucket: `gomeet-${stack}-recordings`,
      endpoint: "https://sgp1.digitaloceanspaces.com",
      region: "sgp1",
    });
    expect(egress.ws_url).toBe("ws://livekit.media.svc.cluster.local:7880");
  });

  it("probes every TURN droplet by its reserved IP from the apps pool", () => {
    const pod = podSpec(named(p.graph, T.deployment, "turn-prober-deployment"));
    expect(pod.nodeSelector).toEqual({ [POOL_LABEL]: "apps" });
    expect(onlyUnder(named(p.graph, T.secret, "turn-prober-env").secretInputs, "stringData.")).toBe(true);
    const env = p.secrets.find(
      (s): s is Obj => typeof s === "object" && s !== null && "TURN_PROBE_TARGETS" in s,
    );
    const ips = Array.from(
      { length: p.config.turn.count },
      (_, i) => `${reservedIpOf(`turn-${i + 1}-ip`)}:3478`,
    );
    expect(env?.TURN_PROBE_TARGETS).toBe(ips.join(","));
    expect(env?.TURN_STATIC_AUTH_SECRET).toBe(turnSecret());
    expect(spec(named(p.graph, T.serviceMonitor, "turn-prober-servicemonitor")).endpoints[0].port).toBe(
      "metrics",
    );
  });
});

describe("media layer with a DNS token (gomeet:digitaloceanDnsToken)", () => {
  const token = "dop_v1_dns_only_token_0123456789abcdef";

  it("certifies the shared TURN name by DNS-01, keeps port 80 closed and hands clients every droplet by its own name", async () => {
    const secrets: unknown[] = [];
    const config = loadPlatformConfig({ environment: "staging", stack: "staging" });
    const graph = await recordProgram({
      project: "gomeet",
      stack: "staging",
      config: {},
      secretKeys: [],
      program: () => createPlatform("staging", config, { digitaloceanDnsToken: pulumi.secret(token) }),
      onSecret: (v) => secrets.push(v),
    });
    const ports = (named(graph, T.firewall, "turn-firewall").inputs.inboundRules as Obj[]).map(
      (r) => r.portRange,
    );
    expect(ports).not.toContain("80");
    const [userData] = secretDocuments(secrets, (s) => s.startsWith("#cloud-config"));
    expect(userData).toContain(`dns_digitalocean_token = ${token}`);
    const runcmd = (parse((userData ?? "").slice("#cloud-config\n".length)) as Obj).runcmd as string[][];
    expect(runcmd.find((c) => c[0] === "certbot")?.slice(-4)).toEqual([
      "-d",
      "turn-1.staging.gomeet.app",
      "-d",
      "turn.staging.gomeet.app",
    ]);
    const [livekit] = secretDocuments(secrets, (s) => s.includes("port_range_start"));
    const servers = (parse(livekit ?? "") as Obj).rtc.turn_servers.map(
      (s: Obj) => `${s.protocol}:${s.host}:${s.port}`,
    );
    expect(servers).toEqual(["udp:turn-1.staging.gomeet.app:3478", "tls:turn-1.staging.gomeet.app:443"]);
    expect(JSON.stringify(graph.resources.map((r) => r.inputs))).not.toContain(token);
  });
});
