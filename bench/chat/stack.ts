/**
 * What bench/chat runs against: a throwaway PostgreSQL (two shard databases) and redis-server, the real chat
 * server and the bare `ws` baseline as child processes on loopback, tickets signed with auth's own code and a
 * loopback stand-in for JWKS and the meetings membership endpoint (every user an attendee).
 */
import { randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import postgres from "postgres";
import { generateSigningKey, loadSigningKeys } from "../../apps/auth/src/signing-keys.ts";
import { TokenIssuer } from "../../apps/auth/src/tokens.ts";
import { migrateShards } from "../../apps/chat/src/migrate.ts";
import { createTestDatabase, type PostgresServer, startPostgres } from "../../test/support/postgres.ts";
import { freePort, spawnServer, stopProcess, waitFor } from "../../test/support/processes.ts";
import { type RedisServer, startRedis } from "../../test/support/redis.ts";
import { Inspector } from "./inspector.ts";

export const root = join(import.meta.dirname, "../..");
export const ORIGIN = "https://app.gomeet.bench";
const ISSUER = "https://auth.gomeet.bench";

/** A server under test: how to open one socket of a meeting, and a DevTools session into its process. */
export interface Target {
  name: "chat" | "bare ws";
  pid: number;
  inspector: Inspector;
  socketUrl(meetingId: string, userId: string): Promise<string>;
  stop(): Promise<void>;
}

export interface TargetOptions {
  /** Extra node flags (`--cpu-prof`, `--cpu-prof-dir=…`). */
  nodeFlags?: string[];
  /** Extra environment for the chat server (group-commit settings). */
  env?: Record<string, string>;
}

export interface BenchStack {
  startChat(options?: TargetOptions): Promise<Target>;
  startBaseline(options?: TargetOptions): Promise<Target>;
  stop(): Promise<void>;
}

/** Node flags every server gets: forced GC and a loopback DevTools endpoint for the memory phase. */
async function inspectedFlags(): Promise<{ flags: string[]; port: number }> {
  const port = await freePort();
  return { flags: ["--expose-gc", `--inspect=127.0.0.1:${port}`], port };
}

export async function startBenchStack(options: { fsync: "on" | "off" }): Promise<BenchStack> {
  const pg: PostgresServer = await startPostgres();
  if (options.fsync === "on") {
    // The throwaway server starts with fsync off (tests); chat's durability is measured with it on.
    const admin = postgres(pg.adminUrl, { max: 1, onnotice: () => undefined });
    await admin`alter system set fsync = on`;
    await admin`select pg_reload_conf()`;
    await admin.end();
  }
  const shards = [
    await createTestDatabase(pg.adminUrl, `bench_chat_s0_${process.pid}`),
    await createTestDatabase(pg.adminUrl, `bench_chat_s1_${process.pid}`),
  ];
  const shardUrls = shards.map((s) => s.url).join(",");
  if ((await migrateShards({ CHAT_SHARD_URLS: shardUrls, LOG_LEVEL: "warn" })) !== 0)
    throw new Error("chat migrations failed");
  const redis: RedisServer = await startRedis();
  const keys = await loadSigningKeys(
    JSON.stringify({ keys: [await generateSigningKey("EdDSA")] }),
    undefined,
  );
  const issuer = new TokenIssuer({
    keys,
    issuer: ISSUER,
    audience: "gomeet",
    accessTokenTtlSeconds: 300,
    chatTicketTtlSeconds: 600,
  });
  const side: Server = createServer((req, res) => {
    if (req.url === "/.well-known/jwks.json")
      return void res
        .writeHead(200, { "content-type": "application/json" })
        .end(JSON.stringify(keys.publicJwks));
    if (req.url?.startsWith("/internal/meetings/"))
      return void res.writeHead(200, { "content-type": "application/json" }).end('{"role":"attendee"}');
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => side.listen(0, "127.0.0.1", resolve));
  const sideUrl = `http://127.0.0.1:${(side.address() as AddressInfo).port}`;
  const running = new Set<Target>();

  return {
    async startChat(options = {}) {
      const port = await freePort();
      const inspect = await inspectedFlags();
      const chat = spawnServer(
        process.execPath,
        [...inspect.flags, ...(options.nodeFlags ?? []), "--import", "tsx", "apps/chat/src/server.ts"],
        {
          cwd: root,
          env: {
            PATH: process.env.PATH,
            PORT: String(port),
            HOST: "127.0.0.1",
            LOG_LEVEL: "warn",
            CHAT_SHARD_URLS: shardUrls,
            REDIS_URL: redis.url,
            AUTH_JWKS_URL: `${sideUrl}/.well-known/jwks.json`,
            AUTH_ISSUER: ISSUER,
            MEETINGS_URL: sideUrl,
            CHAT_ALLOWED_ORIGINS: ORIGIN,
            // The bench measures the message path, not the per-participant limits (20/10 s by default).
            CHAT_RATE_MESSAGES: "1000000/1s",
            CHAT_RATE_SIGNALS: "1000000/1s",
            DATABASE_POOL_MAX: "10",
            ...options.env,
          },
        },
      );
      await waitFor(
        "chat to be ready",
        async () => {
          if (chat.child.exitCode !== null) throw new Error(`chat exited:\n${chat.output()}`);
          return (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200;
        },
        60_000,
      );
      const inspector = await Inspector.connect(inspect.port);
      const target: Target = {
        name: "chat",
        pid: chat.child.pid!,
        inspector,
        async socketUrl(meetingId, userId) {
          const { token } = await issuer.chatTicket(
            { id: userId, roles: ["member"], displayName: "Bench" },
            meetingId,
          );
          return `ws://127.0.0.1:${port}/v1/chat/ws?${new URLSearchParams({ meetingId, ticket: token })}`;
        },
        async stop() {
          inspector.close();
          running.delete(target);
          // SIGTERM: chat drains and exits 0, which is also when --cpu-prof writes its profile.
          await stopProcess(chat.child, 30_000);
        },
      };
      running.add(target);
      return target;
    },
    async startBaseline(options = {}) {
      const port = await freePort();
      const inspect = await inspectedFlags();
      const baseline = spawnServer(
        process.execPath,
        [...inspect.flags, ...(options.nodeFlags ?? []), "--import", "tsx", "bench/chat/baseline-server.ts"],
        { cwd: root, env: { PATH: process.env.PATH, PORT: String(port) } },
      );
      await waitFor("baseline to listen", async () => baseline.output().includes("listening"), 60_000);
      const inspector = await Inspector.connect(inspect.port);
      const target: Target = {
        name: "bare ws",
        pid: baseline.child.pid!,
        inspector,
        socketUrl: async (meetingId) => `ws://127.0.0.1:${port}/?room=${meetingId}`,
        async stop() {
          inspector.close();
          running.delete(target);
          await stopProcess(baseline.child, 30_000);
        },
      };
      running.add(target);
      return target;
    },
    async stop() {
      for (const target of [...running]) await target.stop();
      side.close();
      await redis.stop();
      for (const shard of shards) await shard.drop();
      await pg.stop();
    },
  };
}

export const newMeetingIds = (count: number) => Array.from({ length: count }, () => randomUUID());
