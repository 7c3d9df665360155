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

/** RDB snapshots into a directory the caller owns: `stop()` leaves it, so a server started on it again loads the dump. */
export interface RedisRdb {
  dir: string;
  /**
   * redis.conf `save` points, "<seconds> <changes>". The default "600 1" is what managed Valkey's `rdb` setting
   * does ("RDB dumps each 10 minutes if any key is changed": Pulumi DatabaseValkeyConfig, `persistence`,
   * https://www.pulumi.com/registry/packages/digitalocean/api-docs/databasevalkeyconfig/). With any save point
   * set, a SIGTERM (`stop()`) makes the server write the dump before it exits (Valkey "Signal handling",
   * https://valkey.io/topics/signals; Redis behaves the same).
   */
  save?: string;
  dbfilename?: string;
}

/**
 * Starts a throwaway redis-server (Debian package) on a free loopback port, with persistence off unless `rdb`
 * is given. The flags are redis.conf directives given on the command line ("Redis configuration",
 * https://redis.io/docs/latest/operate/oss_and_stack/management/config/).
 */
export async function startRedis(options: { port?: number; rdb?: RedisRdb } = {}): Promise<RedisServer> {
  const binary = findExecutable("redis-server", ["/usr/bin", "/usr/local/bin"]);
  if (!binary) {
    throw new Error(
      "redis-server not found: install it with `apt-get install redis-server` or set REDIS_URL",
    );
  }
  const { rdb } = options;
  const dir = rdb?.dir ?? mkdtempSync(join(tmpdir(), "gomeet-redis-"));
  const port = options.port ?? (await freePort());
  const server = spawnServer(binary, [
    "--port",
    String(port),
    "--bind",
    "127.0.0.1",
    "--save",
    rdb ? (rdb.save ?? "600 1") : "",
    "--appendonly",
    "no",
    "--dir",
    dir,
    ...(rdb?.dbfilename ? ["--dbfilename", rdb.dbfilename] : []),
  ]);
  const removeDir = () => {
    if (!rdb) rmSync(dir, { recursive: true, force: true });
  };
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
    removeDir();
    throw error;
  }
  return {
    url,
    port,
    async stop() {
      await stopProcess(server.child);
      removeDir();
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
