import { stringify } from "yaml";
import {
  fail,
  type PortRange,
  requireHostPort,
  requireHttpUrl,
  requireIpv4,
  requireNonEmpty,
  requireNonNegativeInteger,
  requirePort,
  requirePortRange,
  requirePositiveInteger,
  requireSecret,
} from "./input-rules.ts";
import type { RedisConnection } from "./redis-connection.ts";
import { redisConfigBlock, validateRedisConnection } from "./redis-connection.ts";

/**
 * Renders livekit.yaml for one SFU node. Every key below exists in livekit-server v1.13.5's `Config` (the
 * server decodes with `KnownFields`, so an unknown key is a startup error) — livekit-server's config-sample.yaml
 * and pkg/config/config.go, https://github.com/livekit/livekit/blob/master/config-sample.yaml.
 * The rendered text carries the API secret, the Valkey password and the TURN shared secret: the component
 * must ship it in a Secret, never a ConfigMap.
 */

/** How the node learns the address it advertises in ICE candidates (livekit-server config-sample.yaml `rtc.use_external_ip`, `rtc.node_ip`). */
export type LiveKitAdvertisedAddress =
  /** Ask STUN servers (our own coturn fleet, so no third-party dependency) and self-validate the answer. */
  | { kind: "stun"; stunServers: string[] }
  /** A fixed address, for nodes whose public IP is known up front (and for loopback tests). */
  | { kind: "fixed"; nodeIp: string };

export interface LiveKitTurnServer {
  host: string;
  port: number;
  protocol: "udp" | "tcp" | "tls";
}

export interface LiveKitConfigInput {
  /** Signal + Twirp API port (livekit-server config-sample.yaml, default 7880). */
  httpPort: number;
  /** Empty ⇒ all interfaces, which hostNetwork pods need. */
  bindAddresses: string[];
  region: string;
  apiKey: string;
  /** LiveKit logs an error for secrets shorter than 32 characters (livekit-server pkg/config `ValidateKeys`). */
  apiSecret: string;
  redis: RedisConnection;
  rtc: {
    /** ICE/TCP, default 7881; must be exposed on the node (livekit-server config-sample.yaml). */
    tcpPort: number;
    /** ICE/UDP host-candidate range, 50000–60000 in production (livekit-server config-sample.yaml). */
    udpPortRange: PortRange;
    advertisedAddress: LiveKitAdvertisedAddress;
    /** Offer 127.0.0.1 candidates. Only for single-host test rigs; production leaves it off. */
    loopbackCandidates: boolean;
  };
  /** The coturn fleet; LiveKit ≥ v1.9.10 mints coturn REST credentials from `secret` (livekit-server config-sample.yaml, coturn README.turnserver). */
  turn: {
    servers: LiveKitTurnServer[];
    sharedSecret: string;
    /** Credential lifetime handed to clients; LiveKit caps it at 86400 s (livekit-server config-sample.yaml). */
    credentialTtlSeconds: number;
  };
  room: {
    maxParticipants: number;
    emptyTimeoutSeconds: number;
    departureTimeoutSeconds: number;
    /** Off in GoMeet: the meetings service creates rooms through the API, so a stray token cannot. */
    autoCreate: boolean;
  };
  limit: {
    /** Per-participant video subscriptions; extra subscriptions wait (livekit-server config-sample.yaml). */
    subscriptionLimitVideo: number;
    subscriptionLimitAudio: number;
    /** Node-wide caps checked when a room already on the node admits a participant (livekit-server config-sample.yaml). */
    numTracks: number;
    bytesPerSec: number;
  };
  nodeSelector: {
    /** Nodes above this CPU load are skipped unless every node is (livekit-server config-sample.yaml). */
    cpuLoadLimit: number;
  };
  /**
   * How long a node relaying a participant's signal connection retries a message to the room's node before it
   * closes that connection (livekit-server pkg/config `SignalRelayConfig`, default 7.5 s). When the room's node
   * dies, this is what tells the client: its next ping (every 5 s) fails to relay, and only after this timeout
   * does the client's WebSocket close and its SDK reconnect (docs/media.md "Media node failure").
   */
  signalRelay: { retryTimeoutMs: number };
  webhook: { urls: string[] };
  prometheusPort: number;
  logLevel: "debug" | "info" | "warn" | "error";
}

function validate(input: LiveKitConfigInput): void {
  requirePort("httpPort", input.httpPort);
  input.bindAddresses.forEach((address, i) => {
    requireIpv4(`bindAddresses[${i}]`, address);
  });
  requireNonEmpty("region", input.region);
  if (!/^[A-Za-z0-9_-]{3,64}$/.test(input.apiKey))
    fail("apiKey", "3–64 characters of [A-Za-z0-9_-]", input.apiKey);
  requireSecret("apiSecret", input.apiSecret, 32);
  validateRedisConnection("redis", input.redis);
  requirePort("rtc.tcpPort", input.rtc.tcpPort);
  requirePortRange("rtc.udpPortRange", input.rtc.udpPortRange);
  const advertised = input.rtc.advertisedAddress;
  if (advertised.kind === "stun") {
    if (advertised.stunServers.length === 0) {
      fail("rtc.advertisedAddress.stunServers", "at least one host:port", advertised.stunServers);
    }
    advertised.stunServers.forEach((s, i) => {
      requireHostPort(`rtc.advertisedAddress.stunServers[${i}]`, s);
    });
  } else {
    requireIpv4("rtc.advertisedAddress.nodeIp", advertised.nodeIp);
  }
  if (input.turn.servers.length === 0) fail("turn.servers", "at least one TURN server", input.turn.servers);
  input.turn.servers.forEach((server, i) => {
    requireNonEmpty(`turn.servers[${i}].host`, server.host);
    requirePort(`turn.servers[${i}].port`, server.port);
    if (!["udp", "tcp", "tls"].includes(server.protocol)) {
      fail(`turn.servers[${i}].protocol`, "one of udp, tcp, tls", server.protocol);
    }
  });
  requireSecret("turn.sharedSecret", input.turn.sharedSecret, 16);
  const ttl = input.turn.credentialTtlSeconds;
  if (!Number.isInteger(ttl) || ttl < 60 || ttl > 86_400)
    fail("turn.credentialTtlSeconds", "an integer in 60–86400", ttl);
  requirePositiveInteger("room.maxParticipants", input.room.maxParticipants);
  requirePositiveInteger("room.emptyTimeoutSeconds", input.room.emptyTimeoutSeconds);
  requirePositiveInteger("room.departureTimeoutSeconds", input.room.departureTimeoutSeconds);
  requireNonNegativeInteger("limit.subscriptionLimitVideo", input.limit.subscriptionLimitVideo);
  requireNonNegativeInteger("limit.subscriptionLimitAudio", input.limit.subscriptionLimitAudio);
  requireNonNegativeInteger("limit.numTracks", input.limit.numTracks);
  requireNonNegativeInteger("limit.bytesPerSec", input.limit.bytesPerSec);
  const cpu = input.nodeSelector.cpuLoadLimit;
  if (!(cpu > 0 && cpu <= 1)) fail("nodeSelector.cpuLoadLimit", "a fraction in (0, 1]", cpu);
  const relay = input.signalRelay.retryTimeoutMs;
  // Below LiveKit's first retry interval (500 ms) a single slow Redis round trip would drop signal connections.
  if (!(Number.isInteger(relay) && relay >= 500 && relay <= 60_000)) {
    fail("signalRelay.retryTimeoutMs", "an integer from 500 to 60000 (milliseconds)", relay);
  }
  if (input.webhook.urls.length === 0) fail("webhook.urls", "at least one URL", input.webhook.urls);
  input.webhook.urls.forEach((url, i) => {
    requireHttpUrl(`webhook.urls[${i}]`, url);
  });
  requirePort("prometheusPort", input.prometheusPort);
  if (!["debug", "info", "warn", "error"].includes(input.logLevel)) {
    fail("logLevel", "one of debug, info, warn, error", input.logLevel);
  }
}

export function renderLiveKitConfig(input: LiveKitConfigInput): string {
  validate(input);
  const advertised = input.rtc.advertisedAddress;
  const config = {
    port: input.httpPort,
    ...(input.bindAddresses.length > 0 ? { bind_addresses: input.bindAddresses } : {}),
    region: input.region,
    keys: { [input.apiKey]: input.apiSecret },
    // JSON logs for the cluster's log pipeline; pion kept at error because it is chatty at info.
    logging: { level: input.logLevel, json: true, pion_level: "error" },
    // `prometheus.port` replaces the deprecated `prometheus_port` (livekit-server config-sample.yaml).
    prometheus: { port: input.prometheusPort },
    // Setting redis turns on multi-node routing (livekit-server config-sample.yaml).
    redis: redisConfigBlock(input.redis),
    rtc: {
      tcp_port: input.rtc.tcpPort,
      // A range wins over `udp_port` and gives each participant its own host-candidate ports (livekit-server config-sample.yaml).
      port_range_start: input.rtc.udpPortRange.start,
      port_range_end: input.rtc.udpPortRange.end,
      ...(advertised.kind === "stun"
        ? { use_external_ip: true, stun_servers: advertised.stunServers }
        : { use_external_ip: false, node_ip: advertised.nodeIp }),
      ...(input.rtc.loopbackCandidates ? { enable_loopback_candidate: true } : {}),
      allow_tcp_fallback: true,
      congestion_control: { enabled: true, allow_pause: true },
      // `secret` makes LiveKit mint `<expiry>:<participant>` / base64(HMAC-SHA1) credentials per
      // participant — the coturn REST scheme (livekit-server config-sample.yaml, coturn README.turnserver).
      turn_servers: input.turn.servers.map((server) => ({
        host: server.host,
        port: server.port,
        protocol: server.protocol,
        secret: input.turn.sharedSecret,
        ttl: input.turn.credentialTtlSeconds,
      })),
    },
    room: {
      auto_create: input.room.autoCreate,
      max_participants: input.room.maxParticipants,
      empty_timeout: input.room.emptyTimeoutSeconds,
      departure_timeout: input.room.departureTimeoutSeconds,
    },
    // The sample's "defaults" are not applied in code (0 = off), so every cap is written out (livekit-server config-sample.yaml).
    limit: {
      num_tracks: input.limit.numTracks,
      bytes_per_sec: input.limit.bytesPerSec,
      subscription_limit_video: input.limit.subscriptionLimitVideo,
      subscription_limit_audio: input.limit.subscriptionLimitAudio,
    },
    // One large meeting per node: skip saturated nodes, then prefer the node hosting the fewest rooms
    // (livekit-server config-sample.yaml, LiveKit distributed-setup docs).
    node_selector: {
      kind: "cpuload",
      sort_by: "rooms",
      algorithm: "lowest",
      cpu_load_limit: input.nodeSelector.cpuLoadLimit,
    },
    signal_relay: { retry_timeout: `${input.signalRelay.retryTimeoutMs}ms` },
    // The webhook is signed with one of `keys` (livekit-server config-sample.yaml).
    webhook: { api_key: input.apiKey, urls: input.webhook.urls },
  };
  return stringify(config, { lineWidth: 0 });
}
