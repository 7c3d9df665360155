import type { EgressConfigInput } from "../../../components/media/egress-config.ts";
import type { LiveKitConfigInput } from "../../../components/media/livekit-config.ts";
import { SIGNAL_RELAY_RETRY_TIMEOUT_MS } from "../../../components/media/livekit-settings.ts";
import type { TurnCloudInitInput } from "../../../components/media/turn-cloud-init.ts";
import { liveKitTurnServers } from "../../../components/media/turn-settings.ts";
import type { TurnServerConfInput } from "../../../components/media/turnserver-conf.ts";

/**
 * Staging-like and production-like renderer inputs, shaped as the media components will fill them from
 * stack config. Secrets here are test placeholders of realistic length.
 */
export type Environment = "staging" | "production";

const domains: Record<Environment, string> = {
  staging: "staging.gomeet.example",
  production: "gomeet.example",
};

/** Reserved-IP stand-ins from TEST-NET-3 (RFC 5737), never routed. */
const turnFleet: Record<Environment, string[]> = {
  staging: ["203.0.113.10"],
  production: ["203.0.113.20", "203.0.113.21", "203.0.113.22"],
};

export function liveKitInput(env: Environment): LiveKitConfigInput {
  const domain = domains[env];
  return {
    httpPort: 7880,
    bindAddresses: [],
    region: "sgp1",
    apiKey: `APIgomeet${env}`,
    apiSecret: `${env}-livekit-api-secret-0123456789abcdef`,
    redis: {
      address: `gomeet-${env}-valkey-do-user-1-0.db.ondigitalocean.com:25061`,
      username: "default",
      password: `${env}-valkey-password`,
      db: 0,
      tls: { enabled: true },
    },
    rtc: {
      tcpPort: 7881,
      udpPortRange: { start: 50_000, end: 60_000 },
      advertisedAddress: { kind: "stun", stunServers: turnFleet[env].map((ip) => `${ip}:3478`) },
      loopbackCandidates: false,
    },
    turn: {
      servers: liveKitTurnServers(domain, turnFleet[env].length),
      sharedSecret: `${env}-turn-shared-secret-0123456789`,
      credentialTtlSeconds: 14_400,
    },
    room: { maxParticipants: 500, emptyTimeoutSeconds: 300, departureTimeoutSeconds: 20, autoCreate: false },
    limit: {
      subscriptionLimitVideo: 25,
      subscriptionLimitAudio: 50,
      numTracks: env === "production" ? 8_000 : 1_600,
      bytesPerSec: env === "production" ? 1_000_000_000 : 200_000_000,
    },
    nodeSelector: { cpuLoadLimit: 0.8 },
    signalRelay: { retryTimeoutMs: SIGNAL_RELAY_RETRY_TIMEOUT_MS },
    webhook: { urls: ["http://meetings.gomeet-apps.svc.cluster.local:8080/livekit/webhook"] },
    prometheusPort: 6789,
    logLevel: "info",
  };
}

export function egressInput(env: Environment): EgressConfigInput {
  const lk = liveKitInput(env);
  return {
    apiKey: lk.apiKey,
    apiSecret: lk.apiSecret,
    wsUrl: `wss://livekit.${domains[env]}`,
    redis: lk.redis,
    recordings: {
      region: "sgp1",
      bucket: `gomeet-${env}-recordings`,
      accessKey: "DO00EXAMPLEACCESSKEY",
      secretKey: `${env}-spaces-secret-key-0123456789`,
    },
    healthPort: 8080,
    prometheusPort: 9090,
    logLevel: "info",
  };
}

export const TURN_CERT_DIRECTORY = "/etc/coturn/tls";

export function turnServerInput(env: Environment, index = 0): TurnServerConfInput {
  const publicIp = turnFleet[env][index] ?? "203.0.113.99";
  return {
    realm: `turn.${domains[env]}`,
    sharedSecret: liveKitInput(env).turn.sharedSecret,
    listeningIps: [],
    externalIp: { public: publicIp },
    listeningPort: 3478,
    tls: {
      port: 5349,
      certFile: `${TURN_CERT_DIRECTORY}/fullchain.pem`,
      keyFile: `${TURN_CERT_DIRECTORY}/privkey.pem`,
    },
    relayPortRange: { start: 40_000, end: 49_999 },
    peerPolicy: "production",
    userQuota: 12,
    totalQuota: env === "production" ? 12_000 : 1_200,
    paths: { userdb: "/var/lib/turn/turndb" },
    verbose: env === "staging",
  };
}

export function turnCloudInitInput(env: Environment, turnServerConf: string, index = 0): TurnCloudInitInput {
  const domain = domains[env];
  return {
    hostname: `gomeet-${env}-turn-${index + 1}`,
    turnServerConf,
    certificateDomains: [`turn-${index + 1}.${domain}`, `turn.${domain}`],
    acmeEmail: `ops@${domains.production}`,
    dnsApiToken: `dop_v1_${env}_dns_token_0123456789abcdef`,
    certDirectory: TURN_CERT_DIRECTORY,
    udpBufferBytes: 16_777_216,
    dnsPropagationSeconds: 60,
    tlsRedirect: { fromPort: 443, toPort: 5349 },
    sshWithKeys: env === "production",
  };
}
