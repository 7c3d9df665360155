import { presetMediaPool } from "../../catalogue/media-pool.ts";
import { DOKS_VERSION } from "../doks-versions.ts";
import type { PlatformConfig } from "../schema.ts";

const TARGET_MEETINGS = 100;
const PARTICIPANTS_PER_MEETING = 500;

/**
 * Production: 100 concurrent meetings × 500 participants. LiveKit hosts a room on exactly one node
 * (docs/sources.md#livekit-benchmark); the capacity planner (infra/capacity, docs/capacity.md) sizes the media
 * pool for the target: one c-16-intel per 500-person meeting (~437k forwarded packets/s, 2.83 Gbps: CPU-Optimized
 * Premium for its 10 Gbps NIC, docs/sources.md#droplet-limits) plus 10 % spare nodes, which are also the warm minimum.
 * The loader re-plans the pool when a stack file changes the target (stacks/presets/planned-media-pool.ts).
 */
export const production: PlatformConfig = {
  environment: "production",
  region: "sgp1",
  domain: "meet.gomeet.app",
  network: { vpcCidr: "10.10.0.0/20", clusterSubnet: "10.100.0.0/16", serviceSubnet: "10.101.0.0/19" },
  cluster: {
    version: DOKS_VERSION,
    highAvailability: true,
    surgeUpgrade: true,
    autoUpgrade: false,
    maintenanceWindow: { day: "sunday", startTime: "18:00" },
    // Closed by default: a documentation range (RFC 5737) that admits no one until the stack file names the
    // operators' range; an empty list would leave the API open (stacks/security-rules.ts).
    controlPlaneAllowList: ["203.0.113.0/24"],
    kubeconfigExpireSeconds: 86_400,
    pools: {
      system: { size: "s-4vcpu-8gb", minNodes: 3, maxNodes: 5 },
      apps: { size: "c-4", minNodes: 3, maxNodes: 12 },
      media: presetMediaPool(TARGET_MEETINGS, PARTICIPANTS_PER_MEETING),
      egress: { size: "c-8", minNodes: 2, maxNodes: 20 },
    },
  },
  postgres: {
    version: "17",
    size: "db-s-4vcpu-8gb",
    nodeCount: 2,
    chatShards: 2,
    poolSize: { auth: 30, meetings: 50, chat: 50 },
  },
  valkey: { shards: 3, size: "db-s-4vcpu-8gb", nodeCount: 2 },
  registry: { manage: true, name: "gomeet", tier: "professional" },
  turn: {
    count: 4,
    size: "c-4-intel",
    adminSshCidrs: [],
    sshKeys: [],
    relayPorts: { min: 40000, max: 49999 },
  },
  media: {
    targetMeetings: TARGET_MEETINGS,
    participantsPerMeeting: PARTICIPANTS_PER_MEETING,
    meetingHoursPerMonth: 176,
    rtcUdpPorts: { min: 50000, max: 60000 },
    rtcTcpPort: 7881,
  },
  egress: { minReplicas: 2, maxReplicas: 20 },
  gateway: {
    loadBalancerNodes: 3,
    rateLimitPerMinute: 600,
    maxBodyBytes: 1_048_576,
    letsEncrypt: "production",
  },
  monitoring: {
    retention: "30d",
    storageGi: 200,
    alertEmails: ["oncall@gomeet.app"],
    slackChannel: "#gomeet-oncall",
    smtp: { smarthost: "smtp.gomeet.app:587", from: "alertmanager@gomeet.app" },
    uptimeChecks: true,
    grafana: {
      allowList: [],
      login: { provider: "github", clientId: "gomeet-grafana-production", organizations: ["gomeet"] },
    },
  },
  cdn: { ttlSeconds: 3600, recordingRetentionDays: 90 },
  services: {
    imageTag: "2026.11.26-0000000",
    authSigningKeys: ["2026-11"],
    auth: { minReplicas: 3, maxReplicas: 12, cpu: "500m", memory: "512Mi" },
    meetings: { minReplicas: 3, maxReplicas: 12, cpu: "500m", memory: "512Mi" },
    chat: { minReplicas: 3, maxReplicas: 20, cpu: "1000m", memory: "1Gi" },
  },
  protect: true,
  tags: ["gomeet"],
};
