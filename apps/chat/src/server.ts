/** `tsx apps/chat/src/server.ts`: the chat server, configured from the environment (docs/services/chat.md). */
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { WebSocketServer } from "ws";
import {
  createLogger,
  createRedis,
  createServiceMetrics,
  errorFields,
  MeetingEventFeed,
  RedisShards,
  RevocationList,
  type RunningServer,
  runServiceMain,
} from "../../shared/src/index.ts";
import { createChatApp } from "./app.ts";
import { chatConfigFromEnv, readChatEnv } from "./config.ts";
import { openShards } from "./shards.ts";

/**
 * The kit's startServer serves plain HTTP; chat also needs the WebSocket server on the same listener and a
 * shutdown that drains sockets, so it runs the same sequence itself: mark draining (readiness 503, upgrades
 * refused), stop accepting, let every socket finish the frames it already took (acks included), tell it to
 * reconnect elsewhere and close it, then close Redis and the shard pools.
 */
export async function startChatServer(
  env: Record<string, string | undefined> = process.env,
): Promise<RunningServer> {
  const vars = readChatEnv(env);
  const config = chatConfigFromEnv(vars);
  const logger = createLogger({ service: "chat", level: vars.LOG_LEVEL });
  const metrics = createServiceMetrics("chat");
  const shards = openShards({
    urls: vars.CHAT_SHARD_URLS,
    max: vars.DATABASE_POOL_MAX,
    applicationName: "gomeet-chat",
    registry: metrics.registry,
    prepare: vars.DATABASE_PREPARE,
  });
  const redis = createRedis({ url: vars.REDIS_URL, logger, connectionName: "gomeet-chat" });
  // Per-meeting keys and channels on the app keyspace's shards (docs/data.md); one shard, REDIS_URL, without them.
  const shardUrls = vars.REDIS_SHARD_URLS ?? [vars.REDIS_URL];
  const redisShards = RedisShards.connect(shardUrls, (url, shard) =>
    shard === 0 && url === vars.REDIS_URL
      ? redis
      : createRedis({ url, logger, connectionName: `gomeet-chat-s${shard}` }),
  );
  const subscribers = RedisShards.connect(shardUrls, (url, shard) =>
    createRedis({ url, logger, connectionName: `gomeet-chat-sub-s${shard}` }),
  );
  const revocations = new RevocationList();
  revocations.follow({ connection: redis.duplicate({ connectionName: "gomeet-chat-revocations" }), logger });
  const meetingEvents = new MeetingEventFeed();
  meetingEvents.follow({
    connection: redis.duplicate({ connectionName: "gomeet-chat-meeting-events" }),
    logger,
  });
  const service = createChatApp({
    revocations,
    meetingEvents,
    config,
    shards,
    redis,
    redisShards,
    subscribers,
    jwks: vars.AUTH_JWKS_URL,
    logger,
    metrics,
  });

  // Compression off (the ws README, "WebSocket compression",
  // https://github.com/websockets/ws#websocket-compression: permessage-deflate costs CPU and memory and can
  // fragment zlib memory); maxPayload bounds what one frame can make us buffer.
  const wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    maxPayload: config.limits.maxFrameBytes,
  });
  const server = serve({
    fetch: service.app.fetch,
    port: vars.PORT,
    hostname: vars.HOST,
    websocket: { server: wss },
  });
  await new Promise<void>((resolve, reject) => {
    server.once("listening", resolve);
    server.once("error", reject);
  });
  const port = (server.address() as AddressInfo).port;
  logger.info("listening", { port, host: vars.HOST, shards: shards.count, redisShards: redisShards.count });

  let shuttingDown: Promise<void> | undefined;
  const shutdown = (reason: string) => {
    shuttingDown ??= (async () => {
      service.lifecycle.draining = true;
      logger.info("shutting down", {
        reason,
        sockets: service.sessions.size,
        drainMs: vars.SHUTDOWN_DRAIN_MS,
      });
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      const idleSweep = setInterval(() => {
        if ("closeIdleConnections" in server) server.closeIdleConnections();
      }, 50);
      const forced = setTimeout(() => {
        for (const client of wss.clients) client.terminate();
        if ("closeAllConnections" in server) server.closeAllConnections();
      }, vars.SHUTDOWN_DRAIN_MS);
      await service.drainSockets();
      await closed;
      clearInterval(idleSweep);
      clearTimeout(forced);
      service.close();
      for (const close of [
        () => revocations.stop(),
        () => meetingEvents.stop(),
        () => subscribers.close(),
        () => Promise.all(redisShards.clients.filter((c) => c !== redis).map((c) => c.quit())),
        () => redis.quit(),
        () => shards.close(),
      ]) {
        try {
          await close();
        } catch (error) {
          logger.warn("error while closing a dependency", errorFields(error));
        }
      }
      logger.info("stopped", { reason });
      process.exit(0);
    })();
    return shuttingDown;
  };
  process.once("SIGTERM", () => void shutdown("SIGTERM"));
  process.once("SIGINT", () => void shutdown("SIGINT"));
  return { port, shutdown };
}

await runServiceMain("chat", import.meta.url, () => startChatServer());
