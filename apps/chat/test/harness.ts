import type { ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { serve } from "@hono/node-server";
import { WebSocket } from "ws";
import { createTestDatabase } from "../../../test/support/postgres.ts";
import { freePort, spawnServer, stopProcess, waitFor } from "../../../test/support/processes.ts";
import { type RedisServer, useTestRedis } from "../../../test/support/redis.ts";
import {
  type AuthHarness,
  ISSUER,
  type SignedInUser,
  signUp,
  startAuthHarness,
} from "../../auth/test/harness.ts";
import type { MeetingRole } from "../src/membership.ts";
import { migrateShards } from "../src/migrate.ts";

export const ORIGIN = "https://app.gomeet.test";
export const root = join(import.meta.dirname, "../../..");

/**
 * Stands in for the meetings service's membership endpoint (the contract in docs/services/chat.md): the
 * meetings service does not exist in this repository yet. Everything else in these tests is real.
 */
export class MembershipDirectory {
  readonly roles = new Map<string, MeetingRole>();
  private server: Server | undefined;
  url = "";
  lookups = 0;
  failing = false;

  set(meetingId: string, userId: string, role: MeetingRole | undefined): void {
    if (role) this.roles.set(`${meetingId}/${userId}`, role);
    else this.roles.delete(`${meetingId}/${userId}`);
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      this.lookups++;
      const match = /^\/internal\/meetings\/([^/]+)\/members\/([^/]+)$/.exec(req.url ?? "");
      if (this.failing) return void res.writeHead(500).end();
      const role = match ? this.roles.get(`${match[1]}/${match[2]}`) : undefined;
      if (!role) return void res.writeHead(404, { "content-type": "application/json" }).end("{}");
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ role }));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}

export interface Replica {
  child: ChildProcess;
  port: number;
  output: () => string;
  wsUrl(params: Record<string, string>): string;
  http(path: string, init?: RequestInit & { token?: string }): Promise<Response>;
}

/** Two shard databases, a redis-server, a real auth app serving its JWKS, and the membership directory. */
export interface ChatStack {
  shardUrls: string[];
  redis: RedisServer;
  auth: AuthHarness;
  jwksUrl: string;
  members: MembershipDirectory;
  replicas: Replica[];
  env(extra?: Record<string, string>): NodeJS.ProcessEnv;
  startReplica(extra?: Record<string, string>): Promise<Replica>;
  user(): Promise<SignedInUser & { name: string }>;
  ticket(user: SignedInUser, meetingId: string): Promise<string>;
  stop(): Promise<void>;
}

export async function startChatStack(adminUrl: string, label: string): Promise<ChatStack> {
  const shards = [
    await createTestDatabase(adminUrl, `${label}_s0`),
    await createTestDatabase(adminUrl, `${label}_s1`),
  ];
  const shardUrls = shards.map((s) => s.url);
  const redis = await useTestRedis();
  const auth = await startAuthHarness(adminUrl, {}, `${label}_auth`);
  const authServer = serve({ fetch: auth.service.app.fetch, port: 0, hostname: "127.0.0.1" });
  await new Promise<void>((resolve) => authServer.once("listening", resolve));
  const jwksUrl = `http://127.0.0.1:${(authServer.address() as AddressInfo).port}/.well-known/jwks.json`;
  const members = new MembershipDirectory();
  await members.start();
  const migrated = await migrateShards({ CHAT_SHARD_URLS: shardUrls.join(",") });
  if (migrated !== 0) throw new Error("chat migrations failed");
  const replicas: Replica[] = [];

  const env = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({
    PATH: process.env.PATH,
    HOST: "127.0.0.1",
    LOG_LEVEL: "warn",
    CHAT_SHARD_URLS: shardUrls.join(","),
    REDIS_URL: redis.url,
    AUTH_JWKS_URL: jwksUrl,
    AUTH_ISSUER: ISSUER,
    MEETINGS_URL: members.url,
    CHAT_ALLOWED_ORIGINS: `${ORIGIN},https://other.gomeet.test`,
    CHAT_MEMBERSHIP_CACHE_MS: "0",
    CHAT_RATE_MESSAGES: "10000/10s",
    CHAT_RATE_SIGNALS: "10000/10s",
    SHUTDOWN_DRAIN_MS: "5000",
    ...extra,
  });

  return {
    shardUrls,
    redis,
    auth,
    jwksUrl,
    members,
    replicas,
    env,
    async startReplica(extra = {}) {
      const port = await freePort();
      // node itself (not the tsx CLI, which forks a child): SIGKILL must kill the server, not a wrapper.
      const spawned = spawnServer(process.execPath, ["--import", "tsx", "apps/chat/src/server.ts"], {
        cwd: root,
        env: env({ PORT: String(port), ...extra }),
      });
      const base = `http://127.0.0.1:${port}`;
      await waitFor(
        "chat replica to be ready",
        async () => {
          if (spawned.child.exitCode !== null) throw new Error(`chat replica exited:\n${spawned.output()}`);
          return (await fetch(`${base}/readyz`)).status === 200;
        },
        30_000,
      );
      const replica: Replica = {
        child: spawned.child,
        port,
        output: spawned.output,
        wsUrl: (params) => `ws://127.0.0.1:${port}/v1/chat/ws?${new URLSearchParams(params)}`,
        http: (path, init = {}) => {
          const { token, ...rest } = init;
          const headers = new Headers(rest.headers);
          if (token) headers.set("authorization", `Bearer ${token}`);
          return fetch(`${base}${path}`, { ...rest, headers });
        },
      };
      replicas.push(replica);
      return replica;
    },
    async user() {
      const user = await signUp(auth);
      const [row] = await auth.db.sql<
        { name: string }[]
      >`select display_name as name from users where id = ${user.id}`;
      return { ...user, name: row!.name };
    },
    async ticket(user, meetingId) {
      const res = await auth.request("/v1/chat-tickets", {
        method: "POST",
        json: { meetingId },
        token: user.accessToken,
      });
      if (res.status !== 201) throw new Error(`chat-tickets answered ${res.status}: ${await res.text()}`);
      return ((await res.json()) as { ticket: string }).ticket;
    },
    async stop() {
      await Promise.all(replicas.map((r) => stopProcess(r.child)));
      await new Promise<void>((resolve) => authServer.close(() => resolve()));
      await members.stop();
      await auth.stop();
      await redis.stop();
      for (const shard of shards) await shard.drop();
    },
  };
}

export type Frame = { v: number; type: string; [key: string]: unknown };

/** A test participant: a real `ws` client that records every frame it receives. */
export class ChatClient {
  readonly frames: Frame[] = [];
  closeCode: number | undefined;
  closeReason = "";
  private readonly waiters: Array<() => void> = [];

  private constructor(readonly socket: WebSocket) {
    socket.on("message", (data) => {
      this.frames.push(JSON.parse(data.toString()) as Frame);
      for (const wake of this.waiters.splice(0)) wake();
    });
    socket.on("close", (code, reason) => {
      this.closeCode = code;
      this.closeReason = reason.toString();
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  static async connect(url: string, origin = ORIGIN): Promise<ChatClient> {
    const socket = new WebSocket(url, { origin, perMessageDeflate: false });
    const client = new ChatClient(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once("open", resolve);
      socket.once("error", reject);
      socket.once("unexpected-response", (_req, res) =>
        reject(
          Object.assign(new Error(`upgrade refused: ${res.statusCode}`), {
            status: res.statusCode,
            refusal: res.headers["x-chat-refusal"],
          }),
        ),
      );
    });
    return client;
  }

  /** Opens a socket as `user` with a fresh ticket and waits until it is synced. */
  static async join(
    stack: ChatStack,
    replica: Replica,
    user: SignedInUser,
    meetingId: string,
    lastSeq?: number,
  ): Promise<ChatClient> {
    const ticket = await stack.ticket(user, meetingId);
    const params: Record<string, string> = { meetingId, ticket };
    if (lastSeq !== undefined) params.lastSeq = String(lastSeq);
    const client = await ChatClient.connect(replica.wsUrl(params));
    await client.waitFor((f) => f.type === "synced" || f.type === "reload");
    return client;
  }

  send(frame: Record<string, unknown>): void {
    this.socket.send(JSON.stringify({ v: 1, ...frame }));
  }

  sendMessage(text: string, id: string = randomUUID()): string {
    this.send({ type: "send", id, text });
    return id;
  }

  events(kind?: string): Frame[] {
    return this.frames.filter((f) => f.type === "event" && (kind === undefined || f.kind === kind));
  }

  async waitFor(predicate: (frame: Frame) => boolean, timeoutMs = 10_000): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.frames.find(predicate);
      if (found) return found;
      if (this.closeCode !== undefined)
        throw new Error(`socket closed (${this.closeCode} ${this.closeReason}) while waiting`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out; last frames: ${JSON.stringify(this.frames.slice(-5))}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async waitForCount(
    predicate: (frame: Frame) => boolean,
    count: number,
    timeoutMs = 15_000,
  ): Promise<Frame[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.frames.filter(predicate);
      if (found.length >= count) return found;
      if (this.closeCode !== undefined)
        throw new Error(`socket closed (${this.closeCode}) with ${found.length}/${count}`);
      if (Date.now() > deadline) throw new Error(`timed out with ${found.length}/${count} frames`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async waitClosed(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.closeCode === undefined) {
      if (Date.now() > deadline) throw new Error("socket did not close");
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  close(): void {
    this.socket.close();
  }
}

export { randomUUID as newId };
