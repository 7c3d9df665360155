import { describe, expect, it } from "vitest";
import { planStack } from "../infra/plan/plan.ts";
import { projectWithStack } from "../test/infra/stack-helpers.ts";
import { ConfigError } from "./loader.ts";

/**
 * Every config rule, driven the way a user meets it: a wrong value in Pulumi.<stack>.yaml, then the plan.
 * Each row gives the stack file's config and the exact line the error must contain.
 */
const cases: { rule: string; config: Record<string, unknown>; message: string }[] = [
  {
    rule: "environment must name a preset",
    config: { "gomeet:environment": "prod" },
    message: 'gomeet:environment: expected one of production, staging, ephemeral, got "prod"',
  },
  {
    rule: "environment is required",
    config: {},
    message: "gomeet:environment: expected one of production, staging, ephemeral, got nothing",
  },
  {
    rule: "overrides must be a mapping",
    config: { "gomeet:environment": "staging", "gomeet:overrides": "big" },
    message: 'gomeet:overrides: expected a mapping of settings, got "big"',
  },
  {
    rule: "environment cannot be overridden",
    config: { "gomeet:environment": "staging", "gomeet:overrides": { environment: "production" } },
    message:
      'gomeet:overrides.environment: expected no value here (set the environment with gomeet:environment), got "production"',
  },
  {
    rule: "unknown settings are refused",
    config: { "gomeet:environment": "staging", "gomeet:overrides": { media: { maxNode: 3 } } },
    message:
      "gomeet:overrides.media.maxNode: expected no such setting (known here: targetMeetings, participantsPerMeeting, meetingHoursPerMonth, rtcUdpPorts, rtcTcpPort), got 3",
  },
  {
    rule: "region is Singapore",
    config: { "gomeet:environment": "staging", "gomeet:overrides": { region: "nyc3" } },
    message: 'gomeet:overrides.region: expected sgp1 (GoMeet runs in Singapore), got "nyc3"',
  },
  {
    rule: "domain is a DNS name",
    config: { "gomeet:environment": "staging", "gomeet:overrides": { domain: "Bad_Domain" } },
    message:
      'gomeet:overrides.domain: expected a lower-case DNS name such as meet.example.com, got "Bad_Domain"',
  },
  {
    rule: "network ranges are CIDRs",
    config: { "gomeet:environment": "staging", "gomeet:overrides": { network: { vpcCidr: "10.0.0.0/33" } } },
    message:
      'gomeet:overrides.network.vpcCidr: expected an IPv4 CIDR such as 10.20.0.0/16, got "10.0.0.0/33"',
  },
  {
    rule: "network ranges are disjoint",
    config: {
      "gomeet:environment": "staging",
      "gomeet:overrides": { network: { clusterSubnet: "10.20.0.0/16" } },
    },
    message:
      'gomeet:overrides.network.clusterSubnet: expected a range disjoint from vpcCidr (10.20.0.0/20), got "10.20.0.0/16"',
  },
  {
    rule: "pod subnet meets the DOKS minimum",
    config: {
      "gomeet:environment": "staging",
      "gomeet:overrides": { network: { clusterSubnet: "10.102.0.0/24" } },
    },
    message:
      'gomeet:overrides.network.clusterSubnet: expected a /20 or larger pod subnet (DOKS minimum), got "10.102.0.0/24"',
  },
  {
    rule: "ranges are private",
    config: {
      "gomeet:environment": "staging",
      "gomeet:overrides": { network: { serviceSubnet: "100.64.0.0/19" } },
    },
    message:
      'gomeet:overrides.network.serviceSubnet: expected an RFC 1918 private range, got "100.64.0.0/19"',
  },
  {
    rule: "cluster version is a pinned DOKS slug",
    config: { "gomeet:environment": "staging", "gomeet:overrides": { cluster: { version: "latest" } } },
    message:
      'gomeet:overrides.cluster.version: expected a pinned DOKS version slug such as 1.35.1-do.6, got "latest"',
  },
  {
    rule: "HA is a boolean",
    config: { "gomeet:environment": "staging", "gomeet:overrides": { cluster: { highAvailability: "yes" } } },
    message: 'gomeet:overrides.cluster.highAvailability: expected true or false, got "yes"',
  },
  {
    rule: "maintenance day is a weekday",
    config: {
      "gomeet:environment": "staging",
      "gomeet:overrides": { cluster: { maintenanceWindow: { day: "Sunday" } } },
    },
    message:
      'gomeet:overrides.cluster.maintenanceWindow.day: expected a weekday in lower case (monday … sunday) or any, got "Sunday"',
  },
  {
    rule: "maintenance time is HH:MM",
    config: {
      "gomeet:environment": "staging",
      "gomeet:overrides": { cluster: { maintenanceWindow: { startTime: "25:00" } } },
    },
    message: 'gomeet:overrides.cluster.maintenanceWindow.startTime: expected a UTC time HH:MM, got "25:00"',
  },
  {
    rule: "control-plane allow-list holds CIDRs",
    config: {
      "gomeet:environment": "staging",
      "gomeet:overrides": { cluster: { controlPlaneAllowList: ["203.0.113.7"] } },
    },
    message:
      'gomeet:overrides.cluster.controlPlaneAllowList.0: expected an IPv4 CIDR such as 10.20.0.0/16, got "203.0.113.7"',
  },
  {
    rule: "kubeconfig lifetime is 1 h to 7 days",
    config: {
      "gomeet:environment": "staging",
      "gomeet:overrides": { cluster: { kubeconfigExpireSeconds: 60 } },
    },
    message:
      "gomeet:overrides.cluster.kubeconfigExpireSeconds: expected an integer from 3600 to 604800 seconds (1 hour to 7 days), got 60",
  },
  {
    rule: "pool bounds are integers",
    config: {
      "gomeet:environment": "production",
      "gomeet:overrides": { cluster: { pools: { media: { maxNodes: "ten" } } } },
    },
    message: 'gomeet:overrides.cluster.pools.media.maxNodes: expected an integer ≥ 1, got "ten"',
  },
  {
    rule: "pools keep one node",
    config: {
      "gomeet:environment": "staging",
      "gomeet:overrides": { cluster: { pools: { apps: { minNodes: 0 } } } },
    },
    message:
      "gomeet:overrides.cluster.pools.apps.minNodes: expected an integer ≥ 1 (DOKS pools always keep one node), got 0",
  },
  {
    rule: "autoscaling min ≤ max",
    config: {
      "gomeet:environment": "production",
      "gomeet:overrides": { cluster: { pools: { media: { minNodes: 120 } } } },
    },
    message: "gomeet:overrides.cluster.pools.media.minNodes: expected minNodes ≤ maxNodes (110), got 120",
  },
  {
    rule: "node sizes are DigitalOcean slugs",
    config: {
      "gomeet:environment": "staging",
      "gomeet:overrides": { cluster: { pools: { apps: { size: "c-17" } } } },
    },
    message:
      'gomeet:overrides.cluster.pools.apps.size: expected a DigitalOcean Droplet size slug from catalogue/droplet-sizes.json (e.g. c-16-intel), got "c-17"',
  },
  {
    rule: "a media node hosts one room (vCPU)",
    config: {
      "gomeet:environment": "production",
      "gomeet:overrides": { cluster: { pools: { media: { size: "c-8" } } } },
    },
    message:
      'gomeet:overrides.cluster.pools.media.size: expected a size that hosts one 500-participant room (c-8 has 8 vCPU but one room needs 12.2 vCPU (437,500 forwarded packets/s at 45,000 per vCPU, 80 % CPU cap)), got "c-8"',
  },
  {
    rule: "a media node hosts one room (NIC)",
    config: {
      "gomeet:environment": "production",
      "gomeet:overrides": { cluster: { pools: { media: { size: "c-16" } } } },
    },
    message:
      'gomeet:overrides.cluster.pools.media.size: expected a size that hosts one 500-participant room (c-16 is capped at 2 Gbps but one room sends 2.83 Gbps (use a Premium CPU-Optimized size with 10 Gbps)), got "c-16"',
  },
  {
    rule: "the media pool can host every target meeting",
    config: {
      "gomeet:environment": "production",
      "gomeet:overrides": { cluster: { pools: { media: { maxNodes: 50 } } } },
    },
    message:
      "gomeet:overrides.cluster.pools.media.maxNodes: expected at least 100 (media.targetMeetings): each 500-participant meeting needs a c-16-intel node of its own, got 50",
  },
  {
    rule: "the media pool packs small rooms onto shared nodes",
    config: {
      "gomeet:environment": "production",
      "gomeet:overrides": {
        media: { participantsPerMeeting: 100 },
        cluster: { pools: { media: { size: "c-8", maxNodes: 20 } } },
      },
    },
    message:
      "gomeet:overrides.cluster.pools.media.maxNodes: expected at least 34 (media.targetMeetings 100 at 3 100-participant rooms per c-8 node), got 20",
  },
  {
    rule: "the TURN fleet carries the relayed share",
    config: { "gomeet:environment": "production", "gomeet:overrides": { turn: { count: 3 } } },
    message:
      "gomeet:overrides.turn.count: expected at least 4 c-4-intel droplets for the target (5000 relayed participants at 5.72 Mbps = 28.60 Gbps, 8.0 Gbps per droplet; docs/capacity.md), got 3",
  },
  {
    rule: "meeting-hours fit a month",
    config: { "gomeet:environment": "staging", "gomeet:overrides": { media: { meetingHoursPerMonth: 800 } } },
    message: "gomeet:overrides.media.meetingHoursPerMonth: expected an integer from 1 to 744 hours, got 800",
  },
  {
    rule: "PostgreSQL major version",
    config: { "gomeet:environment": "staging", "gomeet:overrides": { postgres: { version: "13" } } },
    message:
      'gomeet:overrides.postgres.version: expected a PostgreSQL major version 15, 16, 17 or 18, got "13"',
  },
  {
    rule: "database sizes are managed-database slugs",
    config: { "gomeet:environment": "staging", "gomeet:overrides": { postgres: { size: "s-1vcpu-1gb" } } },
    message:
      'gomeet:overrides.postgres.size: expected one of the managed-database sizes db-s-1vcpu-1gb, db-s-1vcpu-2gb, db-s-2vcpu-4gb, db-s-4vcpu-8gb, db-s-6vcpu-16gb, db-s-8vcpu-32gb, db-s-16vcpu-64gb, gd-2vcpu-8gb, gd-4vcpu-16gb, gd-8vcpu-32gb, gd-16vcpu-64gb, got "s-1vcpu-1gb"',
  },
  {
    rule: "PostgreSQL node count 1-3",
    config: { "gomeet:environment": "staging", "gomeet:overrides": { postgres: { nodeCount: 4 } } },
    message:
      "gomeet:overrides.postgres.nodeCount: expected 1 to 3 nodes (primary plus up to 2 standbys), got 4",
  },
  {
    rule: "standbys need 2 GiB",
    config: { "gomeet:environment": "ephemeral", "gomeet:overrides": { postgres: { nodeCount: 2 } } },
    message:
      "gomeet:overrides.postgres.nodeCount: expected 1 on db-s-1vcpu-1gb: standby nodes need a plan with at least 2 GiB RAM, got 2",
  },
  {
    rule: "chat shards 1-8",
    config: { "gomeet:environment": "staging", "gomeet:overrides": { postgres: { chatShards: 0 } } },
    message: "gomeet:overrides.postgres.chatShards: expected 1 to 8 chat shards, got 0",
  },
  {
    rule: "PgBouncer pools fit the plan",
    config: { "gomeet:environment": "staging", "gomeet:overrides": { postgres: { poolSize: { chat: 40 } } } },
    message:
      'gomeet:overrides.postgres.poolSize: expected pools totalling at most 47 connections on db-s-1vcpu-2gb (auth + meetings + chat × 2 shards = 100), got {"auth":10,"meetings":10,"chat":40}',
  },
  {
    rule: "Valkey has at most one standby",
    config: { "gomeet:environment": "production", "gomeet:overrides": { valkey: { nodeCount: 3 } } },
    message:
      "gomeet:overrides.valkey.nodeCount: expected 1 or 2 nodes (primary plus at most one standby), got 3",
  },
  {
    rule: "Valkey standby needs 2 GiB",
    config: { "gomeet:environment": "ephemeral", "gomeet:overrides": { valkey: { nodeCount: 2 } } },
    message:
      "gomeet:overrides.valkey.nodeCount: expected 1 on db-s-1vcpu-1gb: a standby needs a plan with at least 2 GiB RAM, got 2",
  },
  {
    rule: "registry tier",
    config: { "gomeet:environment": "staging", "gomeet:overrides": { registry: { tier: "gold" } } },
    message: 'gomeet:overrides.registry.tier: expected starter, basic or professional, got "gold"',
  },
  {
    rule: "registry name",
    config: { "gomeet:environment": "staging", "gomeet:overrides": { registry: { name: "GoMeet" } } },
    message:
      'gomeet:overrides.registry.name: expected 3-63 lower-case letters, digits or dashes, got "GoMeet"',
  },
  {
    rule: "TURN fleet has a droplet",
    config: { "gomeet:environment": "staging", "gomeet:overrides": { turn: { count: 0 } } },
    message: "gomeet:overrides.turn.count: expected an integer ≥ 1, got 0",
  },
  {
    rule: "SSH sources are CIDRs",
    config: { "gomeet:environment": "staging", "gomeet:overrides": { turn: { adminSshCidrs: ["office"] } } },
    message:
      'gomeet:overrides.turn.adminSshCidrs.0: expected an IPv4 CIDR such as 10.20.0.0/16, got "office"',
  },
  {
    rule: "ports are 1-65535",
    config: { "gomeet:environment": "staging", "gomeet:overrides": { media: { rtcTcpPort: 70000 } } },
    message: "gomeet:overrides.media.rtcTcpPort: expected a port from 1 to 65535, got 70000",
  },
  {
    rule: "port ranges run low to high",
    config: {
      "gomeet:environment": "staging",
      "gomeet:overrides": { turn: { relayPorts: { min: 49999, max: 40000 } } },
    },
    message: "gomeet:overrides.turn.relayPorts.min: expected min ≤ max (40000), got 49999",
  },
  {
    rule: "platform port ranges are disjoint",
    config: {
      "gomeet:environment": "staging",
      "gomeet:overrides": { turn: { relayPorts: { min: 45000, max: 55000 } } },
    },
    message:
      'gomeet:overrides.turn.relayPorts: expected ports disjoint from the rest of the platform (port ranges overlap: "turn.relayPorts" (udp 45000–55000) and "media.rtcUdpPorts" (udp 50000–60000) share udp 50000–55000), got {"min":45000,"max":55000}',
  },
  {
    rule: "LiveKit's ICE/TCP port stays off node daemons",
    config: { "gomeet:environment": "staging", "gomeet:overrides": { media: { rtcTcpPort: 10250 } } },
    message:
      'gomeet:overrides.media.rtcTcpPort: expected ports disjoint from the rest of the platform (port ranges overlap: "media.rtcTcpPort" (tcp 10250) and "kubelet" (tcp 10250) share tcp 10250), got 10250',
  },
  {
    rule: "meetings hold at most 500",
    config: {
      "gomeet:environment": "staging",
      "gomeet:overrides": { media: { participantsPerMeeting: 501 } },
    },
    message: "gomeet:overrides.media.participantsPerMeeting: expected an integer from 2 to 500, got 501",
  },
  {
    rule: "egress replicas min ≤ max",
    config: { "gomeet:environment": "staging", "gomeet:overrides": { egress: { minReplicas: 3 } } },
    message: "gomeet:overrides.egress.minReplicas: expected minReplicas ≤ maxReplicas (2), got 3",
  },
  {
    rule: "gateway rate limit",
    config: { "gomeet:environment": "staging", "gomeet:overrides": { gateway: { rateLimitPerMinute: -1 } } },
    message: "gomeet:overrides.gateway.rateLimitPerMinute: expected an integer ≥ 1, got -1",
  },
  {
    rule: "Prometheus retention",
    config: { "gomeet:environment": "staging", "gomeet:overrides": { monitoring: { retention: "1 week" } } },
    message:
      'gomeet:overrides.monitoring.retention: expected a Prometheus retention such as 15d, got "1 week"',
  },
  {
    rule: "alert e-mails",
    config: {
      "gomeet:environment": "staging",
      "gomeet:overrides": { monitoring: { alertEmails: ["oncall"] } },
    },
    message: 'gomeet:overrides.monitoring.alertEmails.0: expected an e-mail address, got "oncall"',
  },
  {
    rule: "one alert mailbox",
    config: {
      "gomeet:environment": "staging",
      "gomeet:overrides": { monitoring: { alertEmails: ["a@gomeet.app", "b@gomeet.app"] } },
    },
    message:
      'gomeet:overrides.monitoring.alertEmails: expected at most one address (use a mailing-list address for a team), got ["a@gomeet.app","b@gomeet.app"]',
  },
  {
    rule: "Slack channel",
    config: {
      "gomeet:environment": "staging",
      "gomeet:overrides": { monitoring: { slackChannel: "alerts" } },
    },
    message:
      'gomeet:overrides.monitoring.slackChannel: expected a channel such as #gomeet-alerts, got "alerts"',
  },
  {
    rule: "SMTP relay is host:port",
    config: {
      "gomeet:environment": "staging",
      "gomeet:overrides": { monitoring: { smtp: { smarthost: "smtp.gomeet.app" } } },
    },
    message:
      'gomeet:overrides.monitoring.smtp.smarthost: expected host:port such as smtp.example.com:587, got "smtp.gomeet.app"',
  },
  {
    rule: "uptime checks are a boolean",
    config: { "gomeet:environment": "staging", "gomeet:overrides": { monitoring: { uptimeChecks: "yes" } } },
    message: 'gomeet:overrides.monitoring.uptimeChecks: expected true or false, got "yes"',
  },
  {
    rule: "Let's Encrypt directory",
    config: { "gomeet:environment": "staging", "gomeet:overrides": { gateway: { letsEncrypt: "prod" } } },
    message: 'gomeet:overrides.gateway.letsEncrypt: expected production or staging, got "prod"',
  },
  {
    rule: "CDN TTL",
    config: { "gomeet:environment": "staging", "gomeet:overrides": { cdn: { ttlSeconds: 30 } } },
    message:
      "gomeet:overrides.cdn.ttlSeconds: expected one of the CDN TTLs 60, 600, 3600, 86400, 604800, got 30",
  },
  {
    rule: "images are pinned",
    config: { "gomeet:environment": "staging", "gomeet:overrides": { services: { imageTag: "latest" } } },
    message:
      'gomeet:overrides.services.imageTag: expected a pinned image tag (not latest) such as 2026.11.26-abc1234, got "latest"',
  },
  {
    rule: "signing key labels",
    config: {
      "gomeet:environment": "staging",
      "gomeet:overrides": { services: { authSigningKeys: ["Key One"] } },
    },
    message:
      'gomeet:overrides.services.authSigningKeys.0: expected a lower-case key label such as 2026-11, got "Key One"',
  },
  {
    rule: "signing keys are distinct and at most three",
    config: {
      "gomeet:environment": "staging",
      "gomeet:overrides": { services: { authSigningKeys: ["2026-11", "2026-11"] } },
    },
    message:
      'gomeet:overrides.services.authSigningKeys: expected distinct key labels, got ["2026-11","2026-11"]',
  },
  {
    rule: "service replicas min ≤ max",
    config: {
      "gomeet:environment": "staging",
      "gomeet:overrides": { services: { chat: { minReplicas: 9 } } },
    },
    message: "gomeet:overrides.services.chat.minReplicas: expected minReplicas ≤ maxReplicas (4), got 9",
  },
  {
    rule: "service CPU quantity",
    config: { "gomeet:environment": "staging", "gomeet:overrides": { services: { auth: { cpu: "half" } } } },
    message:
      'gomeet:overrides.services.auth.cpu: expected a Kubernetes CPU quantity such as 250m, got "half"',
  },
  {
    rule: "service memory quantity",
    config: {
      "gomeet:environment": "staging",
      "gomeet:overrides": { services: { auth: { memory: "1GB" } } },
    },
    message:
      'gomeet:overrides.services.auth.memory: expected a Kubernetes memory quantity such as 256Mi, got "1GB"',
  },
  {
    rule: "protect is a boolean",
    config: { "gomeet:environment": "staging", "gomeet:overrides": { protect: 1 } },
    message: "gomeet:overrides.protect: expected true or false, got 1",
  },
  {
    rule: "tags are lower case",
    config: { "gomeet:environment": "staging", "gomeet:overrides": { tags: ["Team A"] } },
    message: 'gomeet:overrides.tags.0: expected a lower-case tag, got "Team A"',
  },
];

describe("stack configuration rules, from Pulumi.<stack>.yaml", () => {
  it.each(cases)("$rule", async ({ config, message }) => {
    const root = projectWithStack("check", config);
    const error = await planStack("check", root).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConfigError);
    const lines = (error as ConfigError).message.split("\n").map((l) => l.trim());
    expect(lines).toContain(message);
  });

  it("reports a problem that comes from the preset under the preset's name", async () => {
    // The media pool follows the new target (the planner re-sizes it); the preset's TURN fleet does not.
    const root = projectWithStack("check", {
      "gomeet:environment": "production",
      "gomeet:overrides": { media: { targetMeetings: 200 } },
    });
    await expect(planStack("check", root)).rejects.toThrow(
      "gomeet:overrides.turn.count (value from the production preset): expected at least 8 c-4-intel droplets for the target (10000 relayed participants at 5.72 Mbps = 57.21 Gbps, 8.0 Gbps per droplet; docs/capacity.md), got 4",
    );
  });

  it("re-plans the media pool when a stack file changes the target", async () => {
    const pool = async (overrides: Record<string, unknown>) => {
      const root = projectWithStack("check", {
        "gomeet:environment": "production",
        "gomeet:overrides": overrides,
      });
      const graph = await planStack("check", root);
      const media = graph.resources.find(
        (r) => r.type.endsWith("KubernetesNodePool") && r.name === "cluster-media",
      );
      return [media?.inputs.size, media?.inputs.minNodes, media?.inputs.maxNodes];
    };
    expect(await pool({})).toEqual(["c-16-intel", 10, 110]);
    expect(await pool({ media: { targetMeetings: 120 }, turn: { count: 5 } })).toEqual([
      "c-16-intel",
      12,
      132,
    ]);
    // Smaller rooms fit several to a node: the planner picks the cheapest size for them.
    expect(await pool({ media: { participantsPerMeeting: 100 } })).toEqual(["c-8", 4, 38]);
    // A size set in the stack file is kept; only the node counts follow the target.
    expect(await pool({ cluster: { pools: { media: { size: "c-32-intel" } } } })).toEqual([
      "c-32-intel",
      5,
      55,
    ]);
  });

  it("lists every problem at once", async () => {
    const root = projectWithStack("check", {
      "gomeet:environment": "staging",
      "gomeet:overrides": { domain: "x", media: { rtcTcpPort: 0 } },
    });
    const error = (await planStack("check", root).catch((e: unknown) => e)) as ConfigError;
    expect(error.issues.map((i) => i.path)).toEqual([
      "gomeet:overrides.domain",
      "gomeet:overrides.media.rtcTcpPort",
    ]);
  });

  it("accepts every shipped stack file", async () => {
    for (const stack of ["production", "staging"]) {
      const graph = await planStack(stack);
      expect(graph.resources.length).toBeGreaterThan(20);
    }
  });
});
