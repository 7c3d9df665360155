import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { findExecutable, freePort, spawnServer, stopProcess, waitFor } from "./processes.ts";

export interface RedisServer {
  url: string;
  /** The loopback port; pass it to startRedis again to bring a stopped server back where clients expect it. */
  port: number;
  stop(): Promise<void>;
}

/**
 * Starts a throwaway redis-server (Debian package) on a free loopback port with persistence off.
 * The flags are redis.conf directives given on the command line ("Redis configuration",
 * https://redis.io/docs/latest/operate/oss_and_stack/management/config/).
 */
export async function startRedis(options: { port?: number } = {}): Promise<RedisServer> {
  const binary = findExecutable("redis-server", ["/usr/bin", "/usr/local/bin"]);
  if (!binary) {
    throw new Error(
      "redis-server not found: install it with `apt-get install redis-server` or set REDIS_URL",
    );
  }
  const dir = mkdtempSync(join(tmpdir(), "gomeet-redis-"));
  const port = options.port ?? (await freePort());
  const server = spawnServer(binary, [
    "--port",
    String(port),
    "--bind",
    "127.0.0.1",
    "--save",
    "",
    "--appendonly",
    "no",
    "--dir",
    dir,
  ]);
  const url = `redis://127.0.0.1:${port}`;
  try {
    await waitFor("redis-server to answer PING", async () => {
      if (server.child.exitCode !== null) throw new Error(`redis-server exited:\n${server.output()}`);
      const client = new Redis(url, {
        lazyConnect: true,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
      });
      client.on("error", () => undefined);
      try {
        await client.connect();
        return (await client.ping()) === "PONG";
      } finally {
        client.disconnect();
      }
    });
  } catch (error) {
    await stopProcess(server.child);
    throw error;
  }
  return {
    url,
    port,
    async stop() {
      await stopProcess(server.child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The Redis a test file should use: REDIS_URL when set (shared; tests must namespace their keys),
 * otherwise a private throwaway redis-server that `stop()` shuts down.
 */
export async function useTestRedis(): Promise<RedisServer> {
  const external = process.env.REDIS_URL;
  if (external)
    return { url: external, port: Number(new URL(external).port || 6379), stop: async () => undefined };
  return await startRedis();
}
