import {
  createDatabase,
  createLogger,
  createRedis,
  createServiceMetrics,
  type RunningServer,
  runServiceMain,
  startServer,
} from "../../shared/src/index.ts";
import { createAuthApp } from "./app.ts";
import { authConfigFromEnv, readAuthEnv } from "./config.ts";
import { HashingThreads } from "./hashing-worker.ts";
import { createPasswordHasher } from "./passwords.ts";
import { loadSigningKeys } from "./signing-keys.ts";

export async function startAuthServer(
  env: Record<string, string | undefined> = process.env,
): Promise<RunningServer> {
  const vars = readAuthEnv(env);
  const config = authConfigFromEnv(vars);
  const logger = createLogger({ service: "auth", level: vars.LOG_LEVEL });
  const keys = await loadSigningKeys(vars.AUTH_SIGNING_KEYS, vars.AUTH_SIGNING_KID);
  const metrics = createServiceMetrics("auth");
  const db = createDatabase({
    url: vars.DATABASE_URL,
    max: vars.DATABASE_POOL_MAX,
    applicationName: "gomeet-auth",
    registry: metrics.registry,
    prepare: vars.DATABASE_PREPARE,
  });
  const redis = createRedis({ url: vars.REDIS_URL, logger, connectionName: "gomeet-auth" });
  // One low-priority thread per hashing slot: the HashingPool in the app bounds how many hashes run at once.
  const hashingThreads = await HashingThreads.start({
    size: config.hashing.concurrency,
    nice: vars.AUTH_HASH_NICE,
    logger,
  });
  const hasher = await createPasswordHasher(config.argon2, hashingThreads);
  const service = createAuthApp({ sql: db.sql, redis, config, keys, hasher, logger, metrics });
  logger.info("signing key", {
    kid: keys.current.kid,
    alg: keys.current.alg,
    published: keys.publicJwks.keys.length,
  });
  return await startServer({
    service,
    port: vars.PORT,
    host: vars.HOST,
    drainMs: vars.SHUTDOWN_DRAIN_MS,
    onClose: [() => db.close(), () => redis.quit(), () => hashingThreads.close()],
    exit: (code) => process.exit(code),
  });
}

await runServiceMain("auth", import.meta.url, () => startAuthServer());
