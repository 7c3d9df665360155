import { z } from "zod";
import { baseEnvSchema, intVar, parseEnv, redisShardUrlsVar, urlVar } from "../../shared/src/index.ts";
import { VISIBLE_TILE_LIMIT } from "./client-settings.ts";

const maxInt = (fallback: number, min: number, max: number) =>
  intVar(fallback, min).pipe(z.number().max(max, { error: `expected at most ${max}` }));

/** Every variable the meetings server reads (documented in docs/services/meetings.md). */
export const meetingsEnvSchema = baseEnvSchema.extend({
  DATABASE_URL: urlVar(["postgres:", "postgresql:"]),
  DATABASE_POOL_MAX: intVar(10),
  REDIS_URL: urlVar(["redis:", "rediss:"]),
  /** The app keyspace's Valkey shards in shard order (docs/data.md); absent means one shard, REDIS_URL. */
  REDIS_SHARD_URLS: redisShardUrlsVar,
  AUTH_JWKS_URL: urlVar(["https:", "http:"]),
  AUTH_ISSUER: urlVar(["https:", "http:"]),
  AUTH_AUDIENCE: z.string().min(1).default("gomeet"),
  LIVEKIT_URL: urlVar(["wss:", "ws:"]),
  LIVEKIT_API_URL: urlVar(["https:", "http:"]),
  LIVEKIT_API_KEY: z.string({ error: "is required" }).min(1, { error: "is required" }),
  LIVEKIT_API_SECRET: z
    .string({ error: "is required" })
    .min(32, { error: "expected at least 32 characters (livekit-server refuses shorter secrets)" }),
  MEETINGS_LIVEKIT_TOKEN_TTL_SECONDS: maxInt(600, 60, 3600),
  MEETINGS_SEAT_HOLD_SECONDS: maxInt(120, 10, 3600),
  MEETINGS_LARGE_MEETING_THRESHOLD: maxInt(100, 2, 500),
  MEETINGS_PLACEMENT_SPACING_MS: maxInt(2500, 0, 30_000),
  // Up to LiveKit's subscription_limit_video (25), which the server enforces anyway.
  MEETINGS_VIDEO_TILES: maxInt(VISIBLE_TILE_LIMIT, 0, VISIBLE_TILE_LIMIT),
  MEETINGS_NODE_PARTICIPANTS: maxInt(500, 2, 10_000),
  MEETINGS_MEDIA_HEADROOM_PERCENT: maxInt(20, 0, 400),
  MEETINGS_SCALE_LEAD_SECONDS: maxInt(900, 0, 86_400),
  MEETINGS_RECONCILE_INTERVAL_SECONDS: maxInt(30, 1, 3600),
  MEETINGS_ROOM_EMPTY_TIMEOUT_SECONDS: maxInt(300, 10, 86_400),
  MEETINGS_ROOM_DEPARTURE_TIMEOUT_SECONDS: maxInt(20, 0, 3600),
  MEETINGS_PRECREATE_LEAD_SECONDS: maxInt(600, 0, 86_400),
  MEETINGS_FAILOVER_INTERVAL_MS: maxInt(1000, 200, 60_000),
  RECORDINGS_S3_ENDPOINT: urlVar(["https:", "http:"]).default("https://sgp1.digitaloceanspaces.com"),
  RECORDINGS_S3_REGION: z.string().min(1).default("sgp1"),
  RECORDINGS_BUCKET: z.string({ error: "is required" }).regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, {
    error: "expected a bucket name (3-63 lowercase letters, digits, dots, hyphens)",
  }),
  RECORDINGS_ACCESS_KEY: z.string({ error: "is required" }).min(1, { error: "is required" }),
  RECORDINGS_SECRET_KEY: z.string({ error: "is required" }).min(1, { error: "is required" }),
  RECORDINGS_PLAYBACK_TTL_SECONDS: maxInt(900, 60, 604_800),
});

export const MEETINGS_SECRET_VARS = [
  "DATABASE_URL",
  "REDIS_URL",
  "REDIS_SHARD_URLS",
  "LIVEKIT_API_SECRET",
  "RECORDINGS_SECRET_KEY",
] as const;

export type MeetingsEnv = z.infer<typeof meetingsEnvSchema>;

export interface MediaScalingConfig {
  /**
   * Meetings with a larger capacity need a media node of their own
   * (docs/sources.md#livekit-distributed-setup).
   */
  largeMeetingThreshold: number;
  /** Participants one node hosts when small meetings are packed together. */
  nodeParticipants: number;
  headroomPercent: number;
  leadSeconds: number;
}

export interface RecordingStorageConfig {
  endpoint: string;
  region: string;
  bucket: string;
  accessKey: string;
  secretKey: string;
  playbackTtlSeconds: number;
}

/** Everything createMeetingsApp needs besides its connections. */
export interface MeetingsConfig {
  auth: { jwks: string | URL | { keys: object[] }; issuer: string; audience: string };
  /** The web app's origin (CORS_ALLOWED_ORIGIN); undefined: no cross-origin access. */
  corsAllowedOrigin?: string | undefined;
  /**
   * Video tiles a client shows by default (MEETINGS_VIDEO_TILES): the stack sets the layout the capacity planner
   * prices; unset, LiveKit's subscription limit.
   */
  videoTiles?: number;
  livekit: { url: string; apiUrl: string; apiKey: string; apiSecret: string };
  tokenTtlSeconds: number;
  seatHoldSeconds: number;
  placementSpacingMs: number;
  roomEmptyTimeoutSeconds: number;
  roomDepartureTimeoutSeconds: number;
  reconcileIntervalSeconds: number;
  /** Scheduled meetings starting within this many seconds get their room ahead (room-precreator.ts); 0 = off. */
  precreateLeadSeconds?: number;
  /** How often LiveKit's node registry is checked for rooms on a dead media node (room-failover.ts). */
  failoverIntervalMs?: number;
  scaling: MediaScalingConfig;
  recordings: RecordingStorageConfig;
}

export function readMeetingsEnv(env: Record<string, string | undefined>): MeetingsEnv {
  return parseEnv(meetingsEnvSchema, env, { secrets: MEETINGS_SECRET_VARS });
}

export function meetingsConfigFromEnv(env: MeetingsEnv): MeetingsConfig {
  return {
    auth: { jwks: env.AUTH_JWKS_URL, issuer: env.AUTH_ISSUER, audience: env.AUTH_AUDIENCE },
    corsAllowedOrigin: env.CORS_ALLOWED_ORIGIN,
    videoTiles: env.MEETINGS_VIDEO_TILES,
    livekit: {
      url: env.LIVEKIT_URL,
      apiUrl: env.LIVEKIT_API_URL,
      apiKey: env.LIVEKIT_API_KEY,
      apiSecret: env.LIVEKIT_API_SECRET,
    },
    tokenTtlSeconds: env.MEETINGS_LIVEKIT_TOKEN_TTL_SECONDS,
    seatHoldSeconds: env.MEETINGS_SEAT_HOLD_SECONDS,
    placementSpacingMs: env.MEETINGS_PLACEMENT_SPACING_MS,
    roomEmptyTimeoutSeconds: env.MEETINGS_ROOM_EMPTY_TIMEOUT_SECONDS,
    roomDepartureTimeoutSeconds: env.MEETINGS_ROOM_DEPARTURE_TIMEOUT_SECONDS,
    reconcileIntervalSeconds: env.MEETINGS_RECONCILE_INTERVAL_SECONDS,
    precreateLeadSeconds: env.MEETINGS_PRECREATE_LEAD_SECONDS,
    failoverIntervalMs: env.MEETINGS_FAILOVER_INTERVAL_MS,
    scaling: {
      largeMeetingThreshold: env.MEETINGS_LARGE_MEETING_THRESHOLD,
      nodeParticipants: env.MEETINGS_NODE_PARTICIPANTS,
      headroomPercent: env.MEETINGS_MEDIA_HEADROOM_PERCENT,
      leadSeconds: env.MEETINGS_SCALE_LEAD_SECONDS,
    },
    recordings: {
      endpoint: env.RECORDINGS_S3_ENDPOINT,
      region: env.RECORDINGS_S3_REGION,
      bucket: env.RECORDINGS_BUCKET,
      accessKey: env.RECORDINGS_ACCESS_KEY,
      secretKey: env.RECORDINGS_SECRET_KEY,
      playbackTtlSeconds: env.RECORDINGS_PLAYBACK_TTL_SECONDS,
    },
  };
}
