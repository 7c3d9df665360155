import { z } from "zod";
import {
  baseEnvSchema,
  intVar,
  parseEnv,
  type RateLimitRule,
  rateLimitVar,
  redisShardUrlsVar,
  urlVar,
} from "../../shared/src/index.ts";

/** Everything the chat app needs besides its connections; server.ts builds it from the environment. */
export interface ChatConfig {
  /** Auth's JWKS URL (or an in-process key set in tests) and the issuer of tickets and access tokens. */
  authIssuer: string;
  /** Audience of access tokens on the HTTP history routes (auth's AUTH_AUDIENCE). */
  accessAudience: string;
  /** Origins allowed to open the socket, exactly as browsers send them (`https://app.gomeet.example`). */
  allowedOrigins: string[];
  /** The web app's origin for the HTTP history routes (CORS_ALLOWED_ORIGIN); the stack sets allowedOrigins to it. */
  corsAllowedOrigin?: string | undefined;
  /** Base URL of the meetings service inside the cluster (membership lookups). */
  meetingsUrl: string;
  membershipCacheMs: number;
  limits: ChatLimits;
  /** Frames kept per meeting in the Redis replay window. */
  replayWindow: number;
  /** A resume further behind than this is told to reload history over HTTP instead. */
  resumeLimit: number;
  heartbeatMs: number;
  /** Bytes a socket may have queued before it is cut off as a slow consumer. */
  slowConsumerBytes: number;
  /** How long an out-of-order frame waits for the ones before it before they are read back. */
  gapWaitMs: number;
  /** How often each meeting with local sockets compares its cursor with Postgres (repairs lost pub/sub). */
  syncIntervalMs: number;
  /** Group commit of messages, per shard database (message-writer.ts). */
  commit: { windowMs: number; maxBatch: number; maxInFlight: number };
}

export interface ChatLimits {
  /** Largest frame the socket reads; bigger ones close it (ws maxPayload, code 1009). */
  maxFrameBytes: number;
  /** Longest message text, in characters; longer ones get a `too_large` error frame. */
  maxMessageChars: number;
  messages: RateLimitRule;
  signals: RateLimitRule;
}

const postgresUrl = urlVar(["postgres:", "postgresql:"]);

/** Every variable the chat server reads (documented in docs/services/chat.md). */
export const chatEnvSchema = baseEnvSchema.extend({
  CHAT_SHARD_URLS: z
    .string({ error: "is required (comma-separated PostgreSQL URLs, one per shard, in shard order)" })
    .transform((text) => text.split(",").map((url) => url.trim()))
    .pipe(z.array(postgresUrl).min(1, { error: "expected at least one shard URL" })),
  DATABASE_POOL_MAX: intVar(10),
  REDIS_URL: urlVar(["redis:", "rediss:"]),
  /** The app keyspace's Valkey shards in shard order; absent means one shard, REDIS_URL. */
  REDIS_SHARD_URLS: redisShardUrlsVar,
  AUTH_JWKS_URL: urlVar(["https:", "http:"]),
  AUTH_ISSUER: urlVar(["https:", "http:"]),
  AUTH_AUDIENCE: z.string().min(1).default("gomeet"),
  MEETINGS_URL: urlVar(["https:", "http:"]),
  CHAT_ALLOWED_ORIGINS: z
    .string({ error: "is required (comma-separated origins such as https://app.gomeet.example)" })
    .transform((text) => text.split(",").map((origin) => origin.trim()))
    .pipe(
      z
        .array(
          z.string().refine(
            (origin) => {
              try {
                return new URL(origin).origin === origin;
              } catch {
                return false;
              }
            },
            { error: "expected origins of the form scheme://host[:port] with no path" },
          ),
        )
        .min(1),
    ),
  CHAT_MEMBERSHIP_CACHE_MS: intVar(10_000, 0),
  CHAT_MAX_FRAME_BYTES: intVar(65_536, 1024),
  CHAT_MAX_MESSAGE_CHARS: intVar(4000, 1),
  CHAT_RATE_MESSAGES: rateLimitVar("20/10s"),
  CHAT_RATE_SIGNALS: rateLimitVar("30/10s"),
  CHAT_REPLAY_WINDOW: intVar(1000, 10),
  CHAT_RESUME_LIMIT: intVar(5000, 1),
  CHAT_HEARTBEAT_MS: intVar(30_000, 100),
  CHAT_SLOW_CONSUMER_BYTES: intVar(1_048_576, 1024),
  CHAT_GAP_WAIT_MS: intVar(50, 1),
  CHAT_SYNC_INTERVAL_MS: intVar(5000, 100),
  CHAT_COMMIT_WINDOW_MS: intVar(2, 0),
  CHAT_COMMIT_BATCH_MAX: intVar(200, 1),
  CHAT_COMMIT_CONCURRENCY: intVar(2, 1),
});

export const CHAT_SECRET_VARS = ["CHAT_SHARD_URLS", "REDIS_URL", "REDIS_SHARD_URLS"] as const;

export type ChatEnv = z.infer<typeof chatEnvSchema>;

export function readChatEnv(env: Record<string, string | undefined>): ChatEnv {
  return parseEnv(chatEnvSchema, env, { secrets: CHAT_SECRET_VARS });
}

export function chatConfigFromEnv(env: ChatEnv): ChatConfig {
  return {
    authIssuer: env.AUTH_ISSUER,
    accessAudience: env.AUTH_AUDIENCE,
    allowedOrigins: env.CHAT_ALLOWED_ORIGINS,
    corsAllowedOrigin: env.CORS_ALLOWED_ORIGIN,
    meetingsUrl: env.MEETINGS_URL,
    membershipCacheMs: env.CHAT_MEMBERSHIP_CACHE_MS,
    limits: {
      maxFrameBytes: env.CHAT_MAX_FRAME_BYTES,
      maxMessageChars: env.CHAT_MAX_MESSAGE_CHARS,
      messages: env.CHAT_RATE_MESSAGES,
      signals: env.CHAT_RATE_SIGNALS,
    },
    replayWindow: env.CHAT_REPLAY_WINDOW,
    resumeLimit: env.CHAT_RESUME_LIMIT,
    heartbeatMs: env.CHAT_HEARTBEAT_MS,
    slowConsumerBytes: env.CHAT_SLOW_CONSUMER_BYTES,
    gapWaitMs: env.CHAT_GAP_WAIT_MS,
    syncIntervalMs: env.CHAT_SYNC_INTERVAL_MS,
    commit: {
      windowMs: env.CHAT_COMMIT_WINDOW_MS,
      maxBatch: env.CHAT_COMMIT_BATCH_MAX,
      maxInFlight: env.CHAT_COMMIT_CONCURRENCY,
    },
  };
}
