import { stringify } from "yaml";
import { fail, requireNonEmpty, requirePort, requireSecret } from "./input-rules.ts";
import { type RedisConnection, redisConfigBlock, validateRedisConnection } from "./redis-connection.ts";

/**
 * Renders the livekit/egress service config. Recordings go to a DigitalOcean Space through `storage.s3`:
 * current egress reads only `storage.s3`, and a top-level `s3:` (as in the Helm chart's samples) is silently
 * ignored (docs/sources.md#livekit-egress). Carries API and Spaces secrets: ship it in a Secret.
 */
export interface EgressConfigInput {
  apiKey: string;
  apiSecret: string;
  /** The SFU's signal URL, e.g. wss://livekit.<domain>. */
  wsUrl: string;
  /** The same Valkey the SFU uses (docs/sources.md#livekit-egress). */
  redis: RedisConnection;
  recordings: {
    /** Spaces region slug; GoMeet runs in sgp1. */
    region: string;
    bucket: string;
    accessKey: string;
    secretKey: string;
  };
  healthPort: number;
  prometheusPort: number;
  logLevel: "debug" | "info" | "warn" | "error";
}

/** Spaces' S3 endpoint is `https://<region>.digitaloceanspaces.com` (docs/sources.md#spaces). */
export function spacesEndpoint(region: string): string {
  return `https://${region}.digitaloceanspaces.com`;
}

function validate(input: EgressConfigInput): void {
  requireNonEmpty("apiKey", input.apiKey);
  requireSecret("apiSecret", input.apiSecret, 32);
  if (!/^wss?:\/\/[^\s/]+/.test(input.wsUrl)) fail("wsUrl", "a ws:// or wss:// URL", input.wsUrl);
  validateRedisConnection("redis", input.redis);
  if (!/^[a-z]{3}\d$/.test(input.recordings.region)) {
    fail("recordings.region", "a DigitalOcean region slug such as sgp1", input.recordings.region);
  }
  // Spaces bucket names follow S3's DNS-compatible rule: 3–63 lower-case letters, digits and dashes.
  if (!/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/.test(input.recordings.bucket)) {
    fail("recordings.bucket", "3–63 characters of [a-z0-9-]", input.recordings.bucket);
  }
  requireNonEmpty("recordings.accessKey", input.recordings.accessKey);
  requireSecret("recordings.secretKey", input.recordings.secretKey, 16);
  requirePort("healthPort", input.healthPort);
  requirePort("prometheusPort", input.prometheusPort);
  if (input.healthPort === input.prometheusPort)
    fail("prometheusPort", "a port other than healthPort", input.prometheusPort);
}

export function renderEgressConfig(input: EgressConfigInput): string {
  validate(input);
  const config = {
    api_key: input.apiKey,
    api_secret: input.apiSecret,
    ws_url: input.wsUrl,
    redis: redisConfigBlock(input.redis),
    health_port: input.healthPort,
    prometheus_port: input.prometheusPort,
    logging: { level: input.logLevel, json: true },
    storage: {
      s3: {
        access_key: input.recordings.accessKey,
        secret: input.recordings.secretKey,
        // With a custom endpoint the SDK uses it as BaseEndpoint; the region still signs requests
        // (livekit/storage s3.go, docs/sources.md#livekit-egress).
        region: input.recordings.region,
        endpoint: spacesEndpoint(input.recordings.region),
        bucket: input.recordings.bucket,
      },
    },
  };
  return stringify(config, { lineWidth: 0 });
}
