/** The GoMeet service kit: what every service imports (see apps/shared/README.md). */
export {
  ACCESS_EVENTS_STREAM,
  type AccessEvent,
  MAX_CLOCK_SKEW_SECONDS,
  publishAccessEvent,
  REVOCATION_WINDOW_SECONDS,
  type Revocation,
  RevocationList,
} from "./access-revocations.ts";
export {
  type AppEnv,
  type AppVariables,
  type CreateAppOptions,
  createApp,
  createRouter,
  type ReadinessCheck,
  ReadinessFailure,
  type ServiceApp,
  type ServiceRouter,
  validationHook,
} from "./app.ts";
export { clientAddress } from "./client-ip.ts";
export {
  CORS_EXPOSED_HEADERS,
  CORS_MAX_AGE_SECONDS,
  CORS_METHODS,
  CORS_REQUEST_HEADERS,
  type CorsOptions,
  cors,
  corsOriginVar,
} from "./cors.ts";
export { createDatabase, type Database, type DatabaseOptions, type Queryable, type Sql } from "./database.ts";
export {
  baseEnvSchema,
  booleanVar,
  EnvError,
  intVar,
  logLevelVar,
  parseEnv,
  portVar,
  rateLimitVar,
  redisShardUrlsVar,
  urlVar,
} from "./env.ts";
export { appendEvent, StreamFollower, type StreamFollowerOptions } from "./event-stream.ts";
export {
  createLogger,
  errorFields,
  type LogFields,
  type Logger,
  type LogLevel,
  type LogSink,
} from "./logger.ts";
export { luaScriptingReadiness, SCRIPTING_RUNBOOK } from "./lua-scripts.ts";
export {
  MEETING_EVENTS_STREAM,
  type MeetingEvent,
  MeetingEventFeed,
  parseMeetingEvent,
  publishMeetingEvent,
} from "./meeting-events.ts";
export { createServiceMetrics, HTTP_DURATION_BUCKETS, type ServiceMetrics } from "./metrics.ts";
export { migrateCommand } from "./migrate-command.ts";
export { loadMigrations, type Migration, runMigrations } from "./migrations.ts";
export {
  ApiError,
  type FieldProblem,
  PROBLEM_CONTENT_TYPE,
  type ProblemBody,
  problemBody,
} from "./problem.ts";
export {
  createRateLimiter,
  parseRateLimitRule,
  type RateLimitDecision,
  type RateLimiter,
  type RateLimitRule,
} from "./rate-limit.ts";
export { createRedis, redisReady } from "./redis.ts";
export { fnv1a32, parseRedisShardUrls, RedisShards, shardIndex } from "./redis-shards.ts";
export { ProblemSchema, problemResponseSpec } from "./schemas.ts";
export { type RunningServer, runServiceMain, startServer } from "./server-lifecycle.ts";
export {
  ACCESS_TOKEN_TYPE,
  CHAT_TICKET_AUDIENCE,
  CHAT_TICKET_TYPE,
  createTokenVerifier,
  hasRole,
  type Principal,
  ROLES,
  type Role,
  requireAuth,
  requireRole,
  type TokenVerifier,
  type TokenVerifierOptions,
} from "./token-verifier.ts";
