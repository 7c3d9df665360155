import { DOKS_VERSION } from "../doks-versions.ts";
import type { PlatformConfig } from "../schema.ts";

/**
 * Ephemeral: the cheapest configuration that still runs every component — one node per pool on the smallest
 * sizes DOKS accepts for the workload, single-node databases, one TURN droplet, small meetings only.
 * Network ranges here are a base; the network component shifts them per stack name so ephemeral stacks in one
 * account never overlap.
 */
export const ephemeral: PlatformConfig = {
  environment: "ephemeral",
  region: "sgp1",
  domain: "dev.gomeet.app",
  network: { vpcCidr: "10.30.0.0/24", clusterSubnet: "10.160.0.0/20", serviceSubnet: "10.176.0.0/22" },
  cluster: {
    version: DOKS_VERSION,
    highAvailability: false,
    surgeUpgrade: false,
    autoUpgrade: true,
    maintenanceWindow: { day: "any", startTime: "18:00" },
    controlPlaneAllowList: [],
    kubeconfigExpireSeconds: 28_800,
    pools: {
      system: { size: "s-2vcpu-4gb", minNodes: 1, maxNodes: 1 },
      apps: { size: "s-2vcpu-4gb", minNodes: 1, maxNodes: 1 },
      media: { size: "c-4", minNodes: 1, maxNodes: 1 },
      egress: { size: "s-2vcpu-4gb", minNodes: 1, maxNodes: 1 },
    },
  },
  postgres: {
    version: "17",
    size: "db-s-1vcpu-1gb",
    nodeCount: 1,
    chatShards: 1,
    poolSize: { auth: 5, meetings: 5, chat: 5 },
  },
  valkey: { shards: 1, size: "db-s-1vcpu-1gb", nodeCount: 1 },
  registry: { manage: false, name: "gomeet", tier: "professional" },
  turn: {
    count: 1,
    size: "s-1vcpu-1gb",
    adminSshCidrs: [],
    sshKeys: [],
    relayPorts: { min: 40000, max: 49999 },
  },
  media: {
    targetMeetings: 1,
    participantsPerMeeting: 50,
    meetingHoursPerMonth: 8,
    rtcUdpPorts: { min: 50000, max: 60000 },
    rtcTcpPort: 7881,
  },
  egress: { minReplicas: 0, maxReplicas: 1 },
  gateway: { loadBalancerNodes: 1, rateLimitPerMinute: 600, maxBodyBytes: 1_048_576, letsEncrypt: "staging" },
  monitoring: {
    retention: "2d",
    storageGi: 5,
    alertEmails: [],
    slackChannel: "#gomeet-dev",
    smtp: { smarthost: "smtp.gomeet.app:587", from: "alertmanager@gomeet.app" },
    uptimeChecks: false,
    grafana: {
      allowList: [],
      login: { provider: "github", clientId: "gomeet-grafana-ephemeral", organizations: ["gomeet"] },
    },
  },
  cdn: { ttlSeconds: 60, recordingRetentionDays: 3 },
  services: {
    imageTag: "2026.11.26-0000000",
    authSigningKeys: ["2026-11"],
    auth: { minReplicas: 1, maxReplicas: 1, cpu: "100m", memory: "256Mi" },
    meetings: { minReplicas: 1, maxReplicas: 1, cpu: "100m", memory: "256Mi" },
    chat: { minReplicas: 1, maxReplicas: 1, cpu: "100m", memory: "256Mi" },
  },
  protect: false,
  tags: ["gomeet"],
};
