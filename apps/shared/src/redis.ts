import { Redis } from "ioredis";
import type { Logger } from "./logger.ts";

export interface RedisOptions {
  url: string;
  logger?: Logger;
  /** ioredis connection name, visible in CLIENT LIST (default the service name from the logger's lines). */
  connectionName?: string;
  /**
   * Send the commands issued in one tick of the event loop in one write (ioredis `enableAutoPipelining`): for
   * request paths where many requests each send a command or two at once. Not for blocking commands, which would
   * hold up the others of their write.
   */
  autoPipelining?: boolean;
}

/**
 * An ioredis client for request paths: commands fail fast while disconnected (no offline queue, one retry)
 * instead of piling up behind a dead connection, and reconnects back off up to 2 s.
 */
export function createRedis(options: RedisOptions): Redis {
  const client = new Redis(options.url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 5_000,
    retryStrategy: (attempt) => Math.min(attempt * 100, 2_000),
    ...(options.connectionName ? { connectionName: options.connectionName } : {}),
    ...(options.autoPipelining ? { enableAutoPipelining: true } : {}),
  });
  let lastErrorLog = 0;
  client.on("error", (error: Error) => {
    if (Date.now() - lastErrorLog < 5_000) return;
    lastErrorLog = Date.now();
    options.logger?.warn("redis connection error", { error: { name: error.name, message: error.message } });
  });
  return client;
}

/** Resolves once the client is connected (the offline queue is off, so a first command must wait for this). */
export async function redisReady(client: Redis, timeoutMs = 5_000): Promise<void> {
  if (client.status === "ready") return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`redis not ready after ${timeoutMs} ms (status ${client.status})`));
    }, timeoutMs);
    const onReady = () => {
      cleanup();
      resolve();
    };
    const cleanup = () => {
      clearTimeout(timer);
      client.off("ready", onReady);
    };
    client.on("ready", onReady);
  });
}
