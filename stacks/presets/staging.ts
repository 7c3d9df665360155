import { presetMediaPool } from "../../catalogue/media-pool.ts";
import { DOKS_VERSION } from "../doks-versions.ts";
import type { PlatformConfig } from "../schema.ts";

const TARGET_MEETINGS = 2;
const PARTICIPANTS_PER_MEETING = 500;

/**
 * Staging: the production shape at a small scale — every component runs, including full-size media nodes so
 * a 500-person rehearsal fits on a node (media pool from the capacity planner, like production), but nothing is
 * highly available.
 */
export const staging: PlatformConfig = {
  environment: "staging",
  region: "sgp1",
  domain: "staging.gomeet.app",
  network: { vpcCidr: "10.20.0.0/20", clusterSubnet: "10.102.0.0/16", serviceSubnet: "10.103.0.0/19" },
  cluster: {
    version: DOKS_VERSION,
    highAvailability: false,
    surgeUpgrade: true,
    autoUpgrade: true,
    maintenanceWindow: { day: "saturday", startTime: "18:00" },
    // Closed by default: a documentation range (RFC 5737) that admits no one until the stack file names the
    // operators' range; an empty list would leave the API open (stacks/security-rules.ts).
    controlPlaneAllowList: ["203.0.113.0/24"],
    kubeconfigExpireSeconds: 86_400,
    pools: {
      system: { size: "s-2vcpu-4gb", minNodes: 2, maxNodes: 3 },
      apps: { size: "s-2vcpu-4gb", minNodes: 2, maxNodes: 4 },
      media: presetMediaPool(TARGET_MEETINGS, PARTICIPANTS_PER_MEETING),
      egress: { size: "c-4", minNodes: 1, maxNodes: 2 },
    },
  },
  postgres: {
    version: "17",
    size: "db-s-1vcpu-2gb",
    nodeCount: 1,
    chatShards: 2,
    poolSize: { auth: 10, meetings: 10, chat: 10 },
  },
  valkey: { shards: 1, size: "db-s-1vcpu-2gb", nodeCount: 1 },
  registry: { manage: false, name: "gomeet", tier: "professional" },
  turn: {
    count: 1,
    size: "s-2vcpu-4gb",
    adminSshCidrs: [],
    sshKeys: [],
    relayPorts: { min: 40000, max: 49999 },
  },
  media: {
    targetMeetings: TARGET_MEETINGS,
    participantsPerMeeting: PARTICIPANTS_PER_MEETING,
    meetingHoursPerMonth: 20,
    rtcUdpPorts: { min: 50000, max: 60000 },
    rtcTcpPort: 7881,
  },
  egress: { minReplicas: 1, maxReplicas: 2 },
  gateway: {
    loadBalancerNodes: 1,
    rateLimitPerMinute: 600,
    maxBodyBytes: 1_048_576,
    letsEncrypt: "production",
  },
  monitoring: {
    retention: "7d",
    storageGi: 20,
    alertEmails: ["platform@gomeet.app"],
    slackChannel: "#gomeet-staging",
    smtp: { smarthost: "smtp.gomeet.app:587", from: "alertmanager@gomeet.app" },
    uptimeChecks: true,
    grafana: {
      allowList: [],
      login: { provider: "github", clientId: "gomeet-grafana-staging", organizations: ["gomeet"] },
    },
  },
  cdn: { ttlSeconds: 600, recordingRetentionDays: 14 },
  services: {
    imageTag: "2026.11.26-0000000",
    authSigningKeys: ["2026-11"],
    auth: { minReplicas: 1, maxReplicas: 3, cpu: "250m", memory: "256Mi" },
    meetings: { minReplicas: 1, maxReplicas: 3, cpu: "250m", memory: "256Mi" },
    chat: { minReplicas: 2, maxReplicas: 4, cpu: "250m", memory: "512Mi" },
  },
  protect: false,
  tags: ["gomeet"],
};
