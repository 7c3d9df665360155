import * as pulumi from "@pulumi/pulumi";
import { defaultAssumptions } from "../../catalogue/assumptions.ts";
import { ControlPlaneService } from "../../components/apps/control-plane-service.ts";
import { SERVICES_NAMESPACE, type ServiceName, serviceUrl } from "../../components/apps/service-registry.ts";
import { AuthSigningKeys } from "../../components/apps/signing-keys.ts";
import { PRIORITY_CLASSES } from "../../components/baseline/priority-classes.ts";
import { imageReference } from "../../components/edge/registry.ts";
import { webOrigin } from "../../components/edge/web-config.ts";
import { MEDIA_SCALE_LEAD_SECONDS } from "../../components/media/livekit-autoscaling.ts";
import type { PlatformConfig } from "../../stacks/schema.ts";
import type { CloudLayer } from "./cloud.ts";
import type { InClusterLayer } from "./in-cluster.ts";
import { servicePoolMaxPerReplica } from "./in-cluster.ts";
import type { MediaLayer } from "./media.ts";

/** The control-plane services deployed by the stack (issue: services in the stack graph). */
export interface AppsLayer {
  services: Record<ServiceName, ControlPlaneService>;
  signingKeys: AuthSigningKeys;
}

/** How long each service drains after SIGTERM: chat holds WebSockets and tells clients to reconnect first. */
const DRAIN_MS: Record<ServiceName, number> = { auth: 10_000, meetings: 10_000, chat: 25_000 };

/**
 * Environment every service shares. Connections go through PgBouncer pools in transaction mode, where
 * prepared statements do not survive between transactions (apps/shared README "PostgreSQL").
 */
function commonEnv(config: PlatformConfig): Record<string, string> {
  return {
    LOG_LEVEL: "info",
    // Traefik is the one proxy in front of the services and appends the client address it read from PROXY
    // protocol (docs/gateway.md).
    TRUST_PROXY_HOPS: "1",
    DATABASE_POOL_MAX: String(servicePoolMaxPerReplica(config)),
    DATABASE_PREPARE: "false",
    // The web app's origin (the CDN's custom domain) is the one origin the APIs answer CORS for.
    CORS_ALLOWED_ORIGIN: webOrigin(config.domain),
  };
}

export function createAppsLayer(
  config: PlatformConfig,
  cloud: CloudLayer,
  inCluster: InClusterLayer,
  media: MediaLayer,
): AppsLayer {
  const providers = { providers: [cloud.cluster.provider] };
  const issuer = `https://api.${config.domain}`;
  // Services fetch auth's JWKS in-cluster (the `allow-between-services` NetworkPolicy); tokens carry the public
  // issuer, which every verifier pins.
  const tokens = {
    AUTH_ISSUER: issuer,
    AUTH_AUDIENCE: "gomeet",
    AUTH_JWKS_URL: serviceUrl("auth", "/.well-known/jwks.json"),
  };
  // One Valkey for all three services. Besides each service's own keys (prefixed gomeet:<service>:) it carries
  // the access-event and meeting-event streams (apps/shared/src/event-stream.ts) that every service must read:
  // a session ended at auth is refused by meetings and chat within a second only if they follow the same
  // streams auth appends to (docs/services/auth.md "Revocation").
  //
  // That instance is app shard 0. Keys of a meeting (seats, locks, chat streams and fan-out) belong on the
  // shard its id hashes to, and rate-limit buckets on the shard of their key: REDIS_SHARD_URLS lists the
  // shards in order (apps/shared/src/redis-shards.ts, docs/data.md). LiveKit keeps an instance of its own.
  const sharedRedisUrl = cloud.valkeyShards[0]!.uri;
  const redisShardUrls = pulumi.all(cloud.valkeyShards.map((v) => v.uri)).apply((urls) => urls.join(","));
  const signingKeys = new AuthSigningKeys("auth-signing-keys", {
    generations: config.services.authSigningKeys,
  });
  const base = (service: ServiceName) => ({
    service,
    namespace: SERVICES_NAMESPACE,
    image: imageReference(config.registry.name, service, config.services.imageTag),
    imageTag: config.services.imageTag,
    scale: config.services[service],
    drainMs: DRAIN_MS[service],
    priorityClassName: PRIORITY_CLASSES.services.name,
    dependsOn: inCluster.baseline.ready,
  });

  const auth = new ControlPlaneService(
    "auth",
    {
      ...base("auth"),
      env: {
        ...commonEnv(config),
        AUTH_ISSUER: issuer,
        AUTH_AUDIENCE: "gomeet",
        AUTH_SIGNING_KID: signingKeys.currentKid,
      },
      secretEnv: {
        DATABASE_URL: cloud.postgres.connectionStrings.auth,
        REDIS_URL: sharedRedisUrl,
        AUTH_SIGNING_KEYS: signingKeys.jwks,
      },
    },
    providers,
  );

  const meetings = new ControlPlaneService(
    "meetings",
    {
      ...base("meetings"),
      env: {
        ...commonEnv(config),
        ...tokens,
        // Clients connect to LiveKit through the gateway; the room and egress APIs are called in-cluster.
        LIVEKIT_URL: `wss://livekit.${config.domain}`,
        // The same in-cluster endpoint egress uses, over HTTP for the Twirp room and egress APIs.
        LIVEKIT_API_URL: media.livekit.internalUrl.replace(/^ws(s?):/, "http$1:"),
        RECORDINGS_S3_ENDPOINT: cloud.storage.recordingsEndpoint,
        RECORDINGS_S3_REGION: config.region,
        RECORDINGS_BUCKET: cloud.storage.recordingsBucket,
        MEETINGS_NODE_PARTICIPANTS: String(config.media.participantsPerMeeting),
        // Scheduled meetings count towards the media fleet this long before they start: longer than a media node
        // takes to join and serve (docs/capacity.md "Schedule-aware scaling").
        MEETINGS_SCALE_LEAD_SECONDS: String(MEDIA_SCALE_LEAD_SECONDS),
        // The default layout the plan's cost is priced at (catalogue/viewer-layout.ts): clients get it as
        // clientSettings.maxVisibleVideoTiles.
        MEETINGS_VIDEO_TILES: String(defaultAssumptions().tilesPerViewer),
      },
      secretEnv: {
        DATABASE_URL: cloud.postgres.connectionStrings.meetings,
        REDIS_URL: sharedRedisUrl,
        REDIS_SHARD_URLS: redisShardUrls,
        LIVEKIT_API_KEY: media.livekit.apiKey,
        LIVEKIT_API_SECRET: media.livekit.apiSecret,
        RECORDINGS_ACCESS_KEY: cloud.storage.meetingsKey.accessKey,
        RECORDINGS_SECRET_KEY: cloud.storage.meetingsKey.secretKey,
      },
    },
    providers,
  );

  const chat = new ControlPlaneService(
    "chat",
    {
      ...base("chat"),
      env: {
        ...commonEnv(config),
        ...tokens,
        MEETINGS_URL: serviceUrl("meetings"),
        // The web app's pages open the chat socket: the same origin the APIs answer CORS for.
        CHAT_ALLOWED_ORIGINS: webOrigin(config.domain),
      },
      secretEnv: {
        // One URL per shard, in shard order: the shard of a meeting is chosen from this order.
        CHAT_SHARD_URLS: pulumi.all(cloud.postgres.connectionStrings.chat).apply((urls) => urls.join(",")),
        REDIS_URL: sharedRedisUrl,
        REDIS_SHARD_URLS: redisShardUrls,
      },
    },
    providers,
  );
  return { services: { auth, meetings, chat }, signingKeys };
}
