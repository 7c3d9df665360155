/** `tsx apps/meetings/src/server.ts`: the meetings HTTP server, configured from the environment (docs/services/meetings.md). */
import { fileURLToPath } from "node:url";
import {
  createDatabase,
  createLogger,
  createRedis,
  createServiceMetrics,
  errorFields,
  type RunningServer,
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
  const redis = createRedis({ url: vars.REDIS_URL, logger, connectionName: "gomeet-meetings" });
  const service = createMeetingsApp({ sql: db.sql, redis, config, logger, metrics });
  service.reconciler.start(config.reconcileIntervalSeconds);
  logger.info("livekit", { apiUrl: config.livekit.apiUrl, url: config.livekit.url });
  return await startServer({
    service,
    port: vars.PORT,
    host: vars.HOST,
    drainMs: vars.SHUTDOWN_DRAIN_MS,
    onClose: [() => service.reconciler.stop(), () => db.close(), () => redis.quit()],
    exit: (code) => process.exit(code),
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    await startMeetingsServer();
  } catch (error) {
    const fields = errorFields(error);
    process.stderr.write(
      `${JSON.stringify({ time: new Date().toISOString(), level: "error", service: "meetings", msg: "failed to start", ...fields })}\n`,
    );
    process.exit(1);
  }
}
