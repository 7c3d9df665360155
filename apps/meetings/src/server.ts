import {
  createDatabase,
  createLogger,
  createRedis,
  createServiceMetrics,
  MeetingEventFeed,
  RedisShards,
  RevocationList,
  type RunningServer,
  runServiceMain,
  startServer,
} from "../../shared/src/index.ts";
import { createMeetingsApp } from "./app.ts";
import { meetingsConfigFromEnv, readMeetingsEnv } from "./config.ts";

export async function startMeetingsServer(
  env: Record<string, string | undefined> = process.env,
): Promise<RunningServer> {
  const vars = readMeetingsEnv(env);
  const config = meetingsConfigFromEnv(vars);
  const logger = createLogger({ service: "meetings", level: vars.LOG_LEVEL });
  const metrics = createServiceMetrics("meetings");
  const db = createDatabase({
    url: vars.DATABASE_URL,
    max: vars.DATABASE_POOL_MAX,
    applicationName: "gomeet-meetings",
    registry: metrics.registry,
    prepare: vars.DATABASE_PREPARE,
  });
  // Auto-pipelined: a join storm's seat scripts and mark reads leave in one write per tick instead of one per join
  // (bench/meetings/RESULTS.md, "Join path"). The blocking stream readers below get connections of their own.
  const redis = createRedis({
    url: vars.REDIS_URL,
    logger,
    connectionName: "gomeet-meetings",
    autoPipelining: true,
  });
  // Per-meeting keys on the app keyspace's shards (docs/data.md); REDIS_URL is shard 0 in the stack.
  const shards = RedisShards.connect(vars.REDIS_SHARD_URLS ?? [vars.REDIS_URL], (url, shard) =>
    url === vars.REDIS_URL
      ? redis
      : createRedis({ url, logger, connectionName: `gomeet-meetings-s${shard}`, autoPipelining: true }),
  );
  const revocations = new RevocationList();
  revocations.follow({
    connection: redis.duplicate({
      connectionName: "gomeet-meetings-revocations",
      enableAutoPipelining: false,
    }),
    logger,
  });
  const meetingEvents = new MeetingEventFeed();
  meetingEvents.follow({
    connection: redis.duplicate({ connectionName: "gomeet-meetings-events", enableAutoPipelining: false }),
    logger,
  });
  const service = createMeetingsApp({
    sql: db.sql,
    redis,
    shards,
    config,
    logger,
    metrics,
    revocations,
    meetingEvents,
  });
  service.reconciler.start(config.reconcileIntervalSeconds);
  service.precreator.start(5_000);
  service.failover.start(config.failoverIntervalMs ?? 1_000);
  logger.info("livekit", { apiUrl: config.livekit.apiUrl, url: config.livekit.url });
  logger.info("redis shards", { count: shards.count });
  return await startServer({
    service,
    port: vars.PORT,
    host: vars.HOST,
    drainMs: vars.SHUTDOWN_DRAIN_MS,
    onClose: [
      () => service.reconciler.stop(),
      () => service.precreator.stop(),
      () => service.failover.stop(),
      () => revocations.stop(),
      () => meetingEvents.stop(),
      () => db.close(),
      () => Promise.all(shards.clients.filter((c) => c !== redis).map((c) => c.quit())),
      () => redis.quit(),
    ],
    exit: (code) => process.exit(code),
  });
}

await runServiceMain("meetings", import.meta.url, () => startMeetingsServer());
