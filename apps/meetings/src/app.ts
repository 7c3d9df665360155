import type { MiddlewareHandler } from "hono";
import type { Redis } from "ioredis";
import { EgressClient, RoomServiceClient } from "livekit-server-sdk";
import { Counter } from "prom-client";
import {
  type AppEnv,
  cors,
  createApp,
  createTokenVerifier,
  type Logger,
  luaScriptingReadiness,
  MeetingEventFeed,
  RedisShards,
  type RevocationList,
  requireAuth,
  type ServiceApp,
  type ServiceMetrics,
  type Sql,
} from "../../shared/src/index.ts";
import type { MeetingsConfig } from "./config.ts";
import { LiveKitNodeRegistry } from "./livekit-node-registry.ts";
import { registerMediaNodesGauge } from "./media-nodes-needed.ts";
import { MeetingAnnouncer } from "./meeting-announcements.ts";
import { MeetingRecorder } from "./meeting-recorder.ts";
import { MeetingSeats } from "./meeting-seats.ts";
import { MemberLookups } from "./member-lookups.ts";
import { ParticipantReconciler } from "./participant-reconciler.ts";
import { RoomFailover } from "./room-failover.ts";
import { RoomPrecreator } from "./room-precreator.ts";
import { RoomProvisioner } from "./room-provisioner.ts";
import { breakoutRoutes } from "./routes/breakout-routes.ts";
import type { MeetingsContext } from "./routes/context.ts";
import { invitationRoutes } from "./routes/invitation-routes.ts";
import { joinRoutes } from "./routes/join-routes.ts";
import { meetingRoutes } from "./routes/meeting-routes.ts";
import { membershipRoutes } from "./routes/membership-routes.ts";
import { participantRoutes } from "./routes/participant-routes.ts";
import { recordingRoutes } from "./routes/recording-routes.ts";
import { waitingDecisionRoutes } from "./routes/waiting-decision-routes.ts";
import { waitingRoomRoutes } from "./routes/waiting-room-routes.ts";
import { webhookRoutes } from "./routes/webhook-routes.ts";

export interface MeetingsAppDeps {
  sql: Sql;
  redis: Redis;
  /**
   * The app keyspace's shards (REDIS_SHARD_URLS): every per-meeting key (seat ledger, created-room mark) lives on
   * the shard its meeting id hashes to. Defaults to `redis` alone; `redis` keeps what is cluster-wide (the
   * placement lock, the event streams).
   */
  shards?: RedisShards;
  /** LiveKit's own Redis, for its node registry; production shares one Valkey (database 0), so it defaults to `redis`. */
  liveKitRedis?: Redis;
  config: MeetingsConfig;
  logger: Logger;
  metrics?: ServiceMetrics;
  /** Session ends and account disables from auth (server.ts follows them); their tokens are refused. */
  revocations?: RevocationList;
  /** Meeting events from every replica (server.ts follows them); without it only this process's are heard. */
  meetingEvents?: MeetingEventFeed;
}

export interface MeetingsService extends ServiceApp {
  context: MeetingsContext;
  reconciler: ParticipantReconciler;
  precreator: RoomPrecreator;
  failover: RoomFailover;
}

/** The meetings service as a Hono app (server.ts serves it; tests call it directly or serve it on loopback). */
export function createMeetingsApp(deps: MeetingsAppDeps): MeetingsService {
  const { sql, redis, config, logger } = deps;
  const service = createApp({
    service: "meetings",
    description:
      "Meetings, invitations, joining (LiveKit tokens) and the waiting room, participants, breakout rooms, recordings and the LiveKit webhook. Errors are application/problem+json.",
    logger,
    ...(deps.metrics ? { metrics: deps.metrics } : {}),
    readiness: [
      { name: "postgres", check: async () => await sql`select 1` },
      { name: "redis", check: () => redis.ping() },
      luaScriptingReadiness(redis),
      ...(deps.revocations ? [deps.revocations.readiness()] : []),
      ...(deps.meetingEvents ? [deps.meetingEvents.readiness()] : []),
    ],
  });
  const { metrics } = service;
  // Before the routes: answers the web app's preflights and marks its answers (apps/shared/src/cors.ts).
  service.app.use(cors({ allowedOrigin: config.corsAllowedOrigin }));
  const lk = config.livekit;
  const rooms = new RoomServiceClient(lk.apiUrl, lk.apiKey, lk.apiSecret, { requestTimeout: 10 });
  const egress = new EgressClient(lk.apiUrl, lk.apiKey, lk.apiSecret, { requestTimeout: 30 });
  const shards = deps.shards ?? new RedisShards([redis]);
  const seats = new MeetingSeats(shards, config.seatHoldSeconds);
  const provisioner = new RoomProvisioner(
    rooms,
    redis,
    {
      largeMeetingThreshold: config.scaling.largeMeetingThreshold,
      placementSpacingMs: config.placementSpacingMs,
      emptyTimeoutSeconds: config.roomEmptyTimeoutSeconds,
      departureTimeoutSeconds: config.roomDepartureTimeoutSeconds,
    },
    logger,
    shards,
  );
  const joins = new Counter({
    name: "gomeet_meeting_joins_total",
    help: "Join attempts by outcome (ok, waiting, full, denied, error).",
    labelNames: ["outcome"],
    registers: [metrics.registry],
  });
  registerMediaNodesGauge(metrics.registry, sql, config.scaling);

  const verifier = createTokenVerifier({
    jwks: config.auth.jwks as Parameters<typeof createTokenVerifier>[0]["jwks"],
    issuer: config.auth.issuer,
    audience: config.auth.audience,
    ...(deps.revocations ? { revocations: deps.revocations } : {}),
  });
  const meetingEvents = deps.meetingEvents ?? new MeetingEventFeed();
  const ctx: MeetingsContext = {
    sql,
    redis,
    config,
    rooms,
    egress,
    seats,
    provisioner,
    joins,
    requireUser: requireAuth(verifier) as MiddlewareHandler<AppEnv>,
    logger,
    announcer: new MeetingAnnouncer(redis, meetingEvents, logger),
    meetingEvents,
    members: new MemberLookups(sql),
  };
  const recorder = new MeetingRecorder(egress, config.recordings);
  for (const router of [
    meetingRoutes(ctx),
    invitationRoutes(ctx),
    joinRoutes(ctx),
    waitingRoomRoutes(ctx),
    waitingDecisionRoutes(ctx),
    participantRoutes(ctx),
    breakoutRoutes(ctx),
    recordingRoutes(ctx, recorder),
    webhookRoutes(ctx),
    membershipRoutes(ctx),
  ]) {
    service.app.route("/", router);
  }
  const reconciler = new ParticipantReconciler({ sql, rooms, seats, logger });
  const precreator = new RoomPrecreator({
    sql,
    provisioner,
    logger,
    metrics: metrics.registry,
    options: { leadSeconds: config.precreateLeadSeconds ?? 0, graceSeconds: 900, batch: 200 },
  });
  const failover = new RoomFailover({
    sql,
    registry: new LiveKitNodeRegistry(deps.liveKitRedis ?? redis),
    provisioner,
    logger,
    metrics: metrics.registry,
  });
  return { ...service, context: ctx, reconciler, precreator, failover };
}
