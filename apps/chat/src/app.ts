import { upgradeWebSocket } from "@hono/node-server";
import type { Redis } from "ioredis";
import type { JSONWebKeySet } from "jose";
import { Counter, Gauge, Histogram } from "prom-client";
import type { WebSocket } from "ws";
import {
  CHAT_TICKET_AUDIENCE,
  CHAT_TICKET_TYPE,
  cors,
  createApp,
  createRateLimiter,
  createTokenVerifier,
  type Logger,
  luaScriptingReadiness,
  type MeetingEventFeed,
  type RateLimiter,
  type RedisShards,
  type RevocationList,
  requireAuth,
  type ServiceApp,
  type ServiceMetrics,
} from "../../shared/src/index.ts";
import { ChatSession } from "./chat-session.ts";
import type { ChatConfig } from "./config.ts";
import { type ChatAppEnv, type SocketGrant, socketHandshake } from "./handshake.ts";
import { MeetingBus } from "./meeting-bus.ts";
import { MembershipClient } from "./membership.ts";
import { MessageWriter } from "./message-writer.ts";
import { CLOSE } from "./protocol.ts";
import { RoomRegistry } from "./rooms.ts";
import { historyRoutes } from "./routes/history-routes.ts";
import type { ChatShards } from "./shards.ts";

export interface ChatAppDeps {
  config: ChatConfig;
  shards: ChatShards;
  /** REDIS_URL, app shard 0: tickets (single use), and the shared event streams in server.ts. */
  redis: Redis;
  /** Commands on the app keyspace's Valkey shards, chosen by meeting id: publishing, window, presence, rate limits. */
  redisShards: RedisShards;
  /** One connection per shard for SUBSCRIBE only, in the same shard order. */
  subscribers: RedisShards;
  /** Auth's JWKS URL, or its public key set in tests. */
  jwks: string | JSONWebKeySet;
  /** Session ends and account disables from auth: their tickets and tokens are refused, their sockets closed. */
  revocations?: RevocationList;
  /** Removals from meetings: the participant's sockets in that meeting close, the cached membership goes. */
  meetingEvents?: MeetingEventFeed;
  logger: Logger;
  metrics?: ServiceMetrics;
}

export interface ChatService extends ServiceApp {
  sessions: Set<ChatSession>;
  /** Shutdown: every socket finishes its frames in flight, is told to reconnect elsewhere and closed. */
  drainSockets(): Promise<void>;
  close(): void;
}

/** The chat service as a Hono app: the socket endpoint, the history routes and the operations routes. */
export function createChatApp(deps: ChatAppDeps): ChatService {
  const { config, shards, redis, logger } = deps;
  const service = createApp({
    service: "chat",
    description:
      "Meeting chat: the /v1/chat/ws WebSocket (protocol in docs/services/chat.md) and history over HTTP. " +
      "Errors are application/problem+json.",
    logger,
    ...(deps.metrics ? { metrics: deps.metrics } : {}),
    readiness: [
      { name: "redis", check: () => redis.ping() },
      luaScriptingReadiness(redis),
      ...deps.redisShards.clients.map((client, i) => ({ name: `redis_s${i}`, check: () => client.ping() })),
      ...shards.all().map((sql, i) => ({ name: `postgres_s${i}`, check: async () => await sql`select 1` })),
      ...(deps.revocations ? [deps.revocations.readiness()] : []),
      ...(deps.meetingEvents ? [deps.meetingEvents.readiness()] : []),
    ],
  });
  const { metrics } = service;
  // Before the routes: answers the web app's preflights and marks its answers (apps/shared/src/cors.ts).
  service.app.use(cors({ allowedOrigin: config.corsAllowedOrigin }));
  const registers = [metrics.registry];
  const connections = new Gauge({
    name: "gomeet_ws_connections",
    help: "Open chat WebSockets on this replica.",
    registers,
  });
  const messages = new Counter({
    name: "gomeet_chat_messages_total",
    help: "Chat messages accepted.",
    registers,
  });
  const delivered = new Counter({
    name: "gomeet_chat_frames_delivered_total",
    help: "Frames handed to sockets by fan-out (events and signals).",
    registers,
  });
  const protocolErrors = new Counter({
    name: "gomeet_chat_protocol_errors_total",
    help: "Error frames sent, by code.",
    labelNames: ["code"],
    registers,
  });
  const slowConsumers = new Counter({
    name: "gomeet_chat_slow_consumer_disconnects_total",
    help: "Sockets cut off because they fell behind.",
    registers,
  });
  const refusals = new Counter({
    name: "gomeet_chat_handshake_refusals_total",
    help: "WebSocket upgrades refused, by problem code.",
    labelNames: ["code"],
    registers,
  });

  const batchSizes = new Histogram({
    name: "gomeet_chat_commit_batch_size",
    help: "Messages per group-commit transaction, by outcome.",
    labelNames: ["outcome"],
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
    registers,
  });
  const batchSeconds = new Histogram({
    name: "gomeet_chat_commit_batch_seconds",
    help: "Group-commit transaction time, publishing included, by outcome.",
    labelNames: ["outcome"],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers,
  });

  const bus = new MeetingBus(deps.redisShards, config.replayWindow);
  const writer = new MessageWriter(shards, bus, logger, {
    ...config.commit,
    onBatch: (size, seconds, ok) => {
      const outcome = ok ? "committed" : "failed";
      batchSizes.observe({ outcome }, size);
      batchSeconds.observe({ outcome }, seconds);
    },
  });
  const registry = new RoomRegistry({
    bus,
    subscribers: deps.subscribers,
    shards,
    logger,
    gapWaitMs: config.gapWaitMs,
    syncIntervalMs: config.syncIntervalMs,
    resumeLimit: config.resumeLimit,
  });
  registry.onFanOut = (n) => delivered.inc(n);
  registry.onSignal = (n) => delivered.inc(n);
  const membership = new MembershipClient(config.meetingsUrl, config.membershipCacheMs);
  const limiter = (name: string, rule: ChatConfig["limits"]["messages"]) => {
    const perShard = deps.redisShards.clients.map((client) =>
      createRateLimiter({ redis: client, name, rule, prefix: "gomeet:chat", metrics }),
    );
    // A participant's bucket is keyed by meeting and user: it lives with the rest of the meeting's keys.
    return (meetingId: string): RateLimiter =>
      perShard[deps.redisShards.clients.indexOf(deps.redisShards.forMeeting(meetingId))]!;
  };
  const sessionDeps = {
    registry,
    bus,
    writer,
    shards,
    logger,
    messageLimiter: limiter("chat_messages", config.limits.messages),
    signalLimiter: limiter("chat_signals", config.limits.signals),
    maxMessageChars: config.limits.maxMessageChars,
    slowConsumerBytes: config.slowConsumerBytes,
    presenceTtlMs: config.heartbeatMs * 3,
    onMessageStored: () => messages.inc(),
    onProtocolError: (code: string) => protocolErrors.inc({ code }),
    onSlowConsumer: () => slowConsumers.inc(),
  };

  const ticketVerifier = createTokenVerifier({
    jwks: deps.jwks,
    issuer: config.authIssuer,
    audience: CHAT_TICKET_AUDIENCE,
    type: CHAT_TICKET_TYPE,
    ...(deps.revocations ? { revocations: deps.revocations } : {}),
  });
  const accessVerifier = createTokenVerifier({
    jwks: deps.jwks,
    issuer: config.authIssuer,
    audience: config.accessAudience,
    ...(deps.revocations ? { revocations: deps.revocations } : {}),
  });

  const sessions = new Set<ChatSession>();
  const closeSockets = (match: (session: ChatSession) => boolean, code: number, reason: string) => {
    for (const session of sessions) if (match(session)) session.end(code, reason);
  };
  const unsubscribe = [
    deps.revocations?.onEvent((event) => {
      if (event.kind === "session_ended")
        closeSockets((s) => s.identity.sessionId === event.sessionId, CLOSE.sessionEnded, "session_ended");
      else closeSockets((s) => s.identity.userId === event.userId, CLOSE.sessionEnded, "account_disabled");
    }),
    deps.meetingEvents?.onEvent((event) => {
      if (event.kind !== "participant_removed") return;
      membership.markRemoved(event.meetingId, event.userId);
      closeSockets(
        (s) => s.identity.meetingId === event.meetingId && s.identity.userId === event.userId,
        CLOSE.removed,
        "removed",
      );
    }),
  ];
  /** A removal or revocation that landed between the handshake's checks and the socket opening. */
  const endedMeanwhile = (grant: SocketGrant): { code: number; reason: string } | undefined => {
    if (membership.wasRemoved(grant.meetingId, grant.userId))
      return { code: CLOSE.removed, reason: "removed" };
    const revoked = deps.revocations?.check({
      subject: grant.userId,
      sessionId: grant.sessionId,
      issuedAt: grant.issuedAt,
    });
    return revoked ? { code: CLOSE.sessionEnded, reason: revoked.code } : undefined;
  };
  service.app.route(
    "/",
    historyRoutes({ shards, membership, requireAccessToken: requireAuth(accessVerifier) }),
  );

  const handshake = socketHandshake({
    verifier: ticketVerifier,
    membership,
    redis,
    allowedOrigins: config.allowedOrigins,
    isDraining: () => service.lifecycle.draining,
    onRefused: (code) => refusals.inc({ code }),
  });
  (service.app as unknown as import("hono").Hono<ChatAppEnv>).get(
    "/v1/chat/ws",
    handshake,
    upgradeWebSocket((c) => {
      const grant = c.get("grant");
      let session: ChatSession | undefined;
      return {
        onOpen(_event, ws) {
          const socket = ws.raw as unknown as WebSocket;
          session = new ChatSession(socket, grant, sessionDeps);
          sessions.add(session);
          connections.inc();
          const ended = endedMeanwhile(grant);
          if (ended) {
            session.end(ended.code, ended.reason);
            return;
          }
          const opened = session;
          opened.open(grant.lastSeq).catch((error) => {
            logger.error("socket open failed", { meetingId: grant.meetingId, error: String(error) });
            socket.close(1011, "unavailable");
          });
        },
        onMessage(event) {
          session?.onFrame(event.data);
        },
        onClose() {
          if (!session || !sessions.delete(session)) return;
          connections.dec();
          void session.closeSession();
        },
      };
    }),
  );

  const heartbeat = setInterval(() => {
    for (const session of sessions) session.heartbeat();
    void bus
      .refreshPresence(
        [...sessions].map((s) => ({
          meetingId: s.identity.meetingId,
          userId: s.identity.userId,
          socketId: s.socketId,
        })),
        config.heartbeatMs * 3,
      )
      .catch(() => undefined);
  }, config.heartbeatMs);
  heartbeat.unref();

  return {
    ...service,
    sessions,
    async drainSockets() {
      await Promise.all([...sessions].map((s) => s.drain()));
    },
    close() {
      for (const stop of unsubscribe) stop?.();
      clearInterval(heartbeat);
      registry.close();
    },
  };
}
