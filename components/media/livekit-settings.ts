import type { DropletSize } from "../../catalogue/droplet-sizes.ts";
import { MAX_NODE_CPU_UTILISATION } from "../../catalogue/room-model.ts";
import type { PlatformConfig } from "../../stacks/schema.ts";
import type { LiveKitConfigInput, LiveKitTurnServer } from "./livekit-config.ts";
import { MEDIA_PORTS } from "./platform-ports.ts";
import type { RedisConnection } from "./redis-connection.ts";

/** Values only known once resources exist (secrets, addresses), resolved before rendering. */
export interface LiveKitRuntimeValues {
  apiKey: string;
  apiSecret: string;
  redis: RedisConnection;
  /** Reserved IPs of the TURN fleet as `ip:3478`: nodes learn their public address from our own STUN. */
  stunServers: string[];
  turnServers: LiveKitTurnServer[];
  turnSharedSecret: string;
  webhookUrls: string[];
}

/**
 * Node-wide caps from the media node's size. The sample's documented defaults — 400 tracks per vCPU up to
 * 8000, 1 GB/s — are not applied in code (livekit-server pkg/config/config.go, https://github.com/livekit/livekit), so GoMeet writes them out,
 * with bytes/s further capped at 80 % of the node's NIC (10 or 2 Gbps, docs/sources.md#droplet-limits).
 */
export function nodeLimits(media: DropletSize): { numTracks: number; bytesPerSec: number } {
  const nicBytesPerSec = (media.network_cap_gbps * 1e9) / 8;
  return {
    numTracks: Math.min(8_000, 400 * media.vcpus),
    bytesPerSec: Math.floor(Math.min(1e9, nicBytesPerSec * MAX_NODE_CPU_UTILISATION)),
  };
}

/**
 * How long a node relaying a client's signal retries a message to the room's node (LiveKit's default is 7.5 s).
 * A client only learns that its room's node died when its next ping (every 5 s) cannot be relayed, so this
 * bounds how soon its SDK reconnects. LiveKit retries with timeouts of 0.5, 1, 2 and 4 s and checks this deadline
 * after each failure: 1 s gives up after 1.5 s (2 s, as LiveKit's schedule goes, after 3.5 s), so a relayed client
 * learns of the crash within 6.5 s; members were back with media 6.9–9.8 s after a crash in ten runs, against
 * 12.7–12.9 s with the default (docs/media.md "Media node failure" has the bound and its worst case,
 * test/media/node-failover.test.ts). The price: a Valkey stall longer than 1.5 s closes signal connections, and
 * their SDKs resume them (the media path to the node is not the signal connection).
 */
export const SIGNAL_RELAY_RETRY_TIMEOUT_MS = 1_000;

/** The stack settings LiveKit's config is rendered from: its region and the `media` section. */
export type LiveKitStackSettings = Pick<PlatformConfig, "region" | "media">;

/** renderLiveKitConfig's input for one stack: settings decide the shape, runtime values fill the secrets. */
export function liveKitConfigInput(
  config: LiveKitStackSettings,
  media: DropletSize,
  runtime: LiveKitRuntimeValues,
): LiveKitConfigInput {
  return {
    httpPort: MEDIA_PORTS.livekitHttp,
    // hostNetwork: listen on every node address.
    bindAddresses: [],
    region: config.region,
    apiKey: runtime.apiKey,
    apiSecret: runtime.apiSecret,
    redis: runtime.redis,
    rtc: {
      tcpPort: config.media.rtcTcpPort,
      udpPortRange: { start: config.media.rtcUdpPorts.min, end: config.media.rtcUdpPorts.max },
      advertisedAddress: { kind: "stun", stunServers: runtime.stunServers },
      loopbackCandidates: false,
    },
    turn: {
      servers: runtime.turnServers,
      sharedSecret: runtime.turnSharedSecret,
      // LiveKit's default credential lifetime (livekit-server config-sample.yaml, coturn README.turnserver).
      credentialTtlSeconds: 14_400,
    },
    room: {
      maxParticipants: config.media.participantsPerMeeting,
      // LiveKit's defaults (livekit-server config-sample.yaml); rooms are created by the meetings service, never by a join.
      emptyTimeoutSeconds: 300,
      departureTimeoutSeconds: 20,
      autoCreate: false,
    },
    limit: {
      subscriptionLimitVideo: 25,
      subscriptionLimitAudio: 50,
      ...nodeLimits(media),
    },
    // The capacity model's CPU cap (catalogue/room-model.ts) is the selector's skip threshold.
    nodeSelector: { cpuLoadLimit: MAX_NODE_CPU_UTILISATION },
    signalRelay: { retryTimeoutMs: SIGNAL_RELAY_RETRY_TIMEOUT_MS },
    webhook: { urls: runtime.webhookUrls },
    prometheusPort: MEDIA_PORTS.livekitPrometheus,
    logLevel: "info",
  };
}
