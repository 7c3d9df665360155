import { randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import { serve } from "@hono/node-server";
import type { Redis } from "ioredis";
import { AccessToken } from "livekit-server-sdk";
import {
  iceRange,
  loopbackLiveKitInput,
  type RunningLiveKitNode,
  startLiveKitNode,
} from "../../../test/media/support/livekit-node.ts";
import { liveKitInput } from "../../../test/media/support/stack-inputs.ts";
import { startTlsRedis, type TlsRedis } from "../../../test/media/support/tls-redis.ts";
import { createTestDatabase } from "../../../test/support/postgres.ts";
import { freePort } from "../../../test/support/processes.ts";
import { type RedisServer, useTestRedis } from "../../../test/support/redis.ts";
import { generateSigningKey, loadSigningKeys } from "../../auth/src/signing-keys.ts";
import { TokenIssuer } from "../../auth/src/tokens.ts";
import {
  createDatabase,
  createLogger,
  createRedis,
  type Database,
  RedisShards,
  redisReady,
  runMigrations,
} from "../../shared/src/index.ts";
import { createMeetingsApp, type MeetingsService } from "../src/app.ts";
import type { MeetingsConfig } from "../src/config.ts";
import { MEETINGS_MIGRATIONS_DIR } from "../src/migrate.ts";

export { metricValue } from "../../shared/test/metrics-text.ts";

export const ISSUER = "https://auth.gomeet.test";
export const AUDIENCE = "gomeet";
/** The API key pair from the rendered staging livekit.yaml the test nodes run with. */
export const LIVEKIT = liveKitInput("staging");

export interface User {
  id: string;
  token: string;
  /** The account's address, carried in the token's `email` claim as auth issues it. */
  email: string;
}

export interface MeetingsHarness {
  service: MeetingsService;
  config: MeetingsConfig;
  db: Database;
  redis: Redis;
  /** Shard 0 is `redis`; the rest come from `extraShardUrls`. */
  shards: RedisShards;
  logs: string[];
  /** The meetings app on a loopback port (LiveKit posts its webhooks there). */
  baseUrl: string;
  nodes: RunningLiveKitNode[];
  /** A new account's access token; `email` defaults to one made from its id. */
  user(email?: string): Promise<User>;
  request(path: string, init?: RequestInit & { json?: unknown; user?: User }): Promise<Response>;
  /** A LiveKit webhook signed with the cluster's API key, exactly as livekit-server signs one. */
  signedWebhook(body: string, secret?: string): Promise<Response>;
  stop(): Promise<void>;
}

export interface HarnessOptions {
  /** How many livekit-server nodes to start (0: the LiveKit URL points at a closed port). */
  liveKitNodes?: number;
  config?: Partial<MeetingsConfig>;
  /**
   * Further app-keyspace shards after the harness's own redis-server, which is shard 0 as REDIS_URL is in the
   * stack: per-meeting keys are then spread over all of them.
   */
  extraShardUrls?: string[];
}

/**
 * The meetings app on a fresh database and private redis-server, with access tokens signed by auth's own
 * signing-key module and verified through a JWKS served over HTTP, and (optionally) real livekit-server nodes
 * started from the rendered staging livekit.yaml whose webhooks come back to the app.
 */
export async function startMeetingsHarness(
  adminUrl: string,
  label: string,
  options: HarnessOptions = {},
): Promise<MeetingsHarness> {
  const database = await createTestDatabase(adminUrl, label);
  const redisServer: RedisServer = await useTestRedis();
  const db = createDatabase({ url: database.url, max: 20 });
  await runMigrations(db.sql, MEETINGS_MIGRATIONS_DIR);
  const redis = createRedis({ url: redisServer.url });
  await redisReady(redis);

  const keys = await loadSigningKeys(
    JSON.stringify({ keys: [await generateSigningKey("EdDSA")] }),
    undefined,
  );
  const issuer = new TokenIssuer({
    keys,
    issuer: ISSUER,
    audience: AUDIENCE,
    accessTokenTtlSeconds: 3600,
    chatTicketTtlSeconds: 60,
  });
  const jwksPort = await freePort();
  const jwksServer: Server = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(keys.publicJwks));
  });
  await new Promise<void>((resolve) => jwksServer.listen(jwksPort, "127.0.0.1", resolve));

  const appPort = await freePort();
  const baseUrl = `http://127.0.0.1:${appPort}`;
  const nodes: RunningLiveKitNode[] = [];
  let tlsRedis: TlsRedis | undefined;
  if ((options.liveKitNodes ?? 0) > 0) {
    tlsRedis = await startTlsRedis();
    for (let i = 0; i < (options.liveKitNodes ?? 0); i++) {
      const input = await loopbackLiveKitInput(LIVEKIT, {
        redis: tlsRedis,
        udpPortRange: iceRange(i),
        loopbackCandidates: true,
        webhookUrl: `${baseUrl}/livekit/webhook`,
      });
      nodes.push(await startLiveKitNode(input));
    }
  }
  const first = nodes[0];
  const closedPort = await freePort();
  const config: MeetingsConfig = {
    auth: { jwks: `http://127.0.0.1:${jwksPort}/.well-known/jwks.json`, issuer: ISSUER, audience: AUDIENCE },
    livekit: {
      url: first?.wsUrl ?? `ws://127.0.0.1:${closedPort}`,
      apiUrl: first?.url ?? `http://127.0.0.1:${closedPort}`,
      apiKey: LIVEKIT.apiKey,
      apiSecret: LIVEKIT.apiSecret,
    },
    tokenTtlSeconds: 600,
    seatHoldSeconds: 120,
    placementSpacingMs: 2500,
    roomEmptyTimeoutSeconds: 300,
    roomDepartureTimeoutSeconds: 20,
    reconcileIntervalSeconds: 30,
    scaling: { largeMeetingThreshold: 100, nodeParticipants: 500, headroomPercent: 20, leadSeconds: 900 },
    recordings: {
      endpoint: "https://sgp1.digitaloceanspaces.com",
      region: "sgp1",
      bucket: "gomeet-test-recordings",
      accessKey: "DO00TESTACCESSKEY",
      secretKey: "spaces-secret-key-for-tests-0123456789",
      playbackTtlSeconds: 900,
    },
    ...options.config,
  };
  const logs: string[] = [];
  const logger = createLogger({ service: "meetings", level: "debug", sink: (line) => logs.push(line) });
  const shards = new RedisShards([
    redis,
    ...(options.extraShardUrls ?? []).map((url) => createRedis({ url, logger })),
  ]);
  const service = createMeetingsApp({ sql: db.sql, redis, shards, config, logger });
  const server = serve({ fetch: service.app.fetch, port: appPort, hostname: "127.0.0.1" });

  const request: MeetingsHarness["request"] = (path, init = {}) => {
    const { json, user, ...rest } = init;
    const headers = new Headers(rest.headers);
    if (json !== undefined) headers.set("content-type", "application/json");
    if (user) headers.set("authorization", `Bearer ${user.token}`);
    return Promise.resolve(
      service.app.request(path, {
        ...rest,
        headers,
        ...(json !== undefined ? { body: JSON.stringify(json) } : {}),
      }),
    );
  };

  return {
    service,
    config,
    db,
    redis,
    shards,
    logs,
    baseUrl,
    nodes,
    async user(email?: string) {
      const id = randomUUID();
      const address = email ?? `user.${id}@example.test`;
      const { token } = await issuer.accessToken({ id, roles: ["member"], email: address }, randomUUID());
      return { id, token, email: address };
    },
    request,
    async signedWebhook(body, secret = LIVEKIT.apiSecret) {
      const { createHash } = await import("node:crypto");
      const at = new AccessToken(LIVEKIT.apiKey, secret);
      at.sha256 = createHash("sha256").update(body).digest("base64");
      return await request("/livekit/webhook", {
        method: "POST",
        body,
        headers: { "content-type": "application/webhook+json", authorization: await at.toJwt() },
      });
    },
    async stop() {
      await service.reconciler.stop();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      for (const node of nodes) await node.stop();
      await tlsRedis?.stop();
      jwksServer.close();
      for (const client of shards.clients) client.disconnect();
      await db.close();
      await redisServer.stop();
      await database.drop();
    },
  };
}

/** Schedules a meeting as `host` starting now, with `overrides` on the default body. */
export async function scheduleMeeting(
  h: MeetingsHarness,
  host: User,
  overrides: Record<string, unknown> = {},
): Promise<{ id: string; [key: string]: unknown }> {
  const res = await h.request("/v1/meetings", {
    method: "POST",
    user: host,
    json: {
      title: "Weekly sync",
      startsAt: new Date().toISOString(),
      durationMinutes: 60,
      capacity: 10,
      ...overrides,
    },
  });
  if (res.status !== 201) throw new Error(`schedule answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as { id: string };
}

/** Invites with a link carrying `role` and has `user` accept it. */
export async function addMember(
  h: MeetingsHarness,
  meetingId: string,
  host: User,
  user: User,
  role = "attendee",
): Promise<void> {
  const inv = await h.request(`/v1/meetings/${meetingId}/invitations`, {
    method: "POST",
    user: host,
    json: { kind: "link", role, maxUses: 1, expiresInSeconds: 3600 },
  });
  if (inv.status !== 201) throw new Error(`invite answered ${inv.status}: ${await inv.text()}`);
  const { code } = (await inv.json()) as { code: string };
  const res = await h.request("/v1/invitations/accept", { method: "POST", user, json: { code } });
  if (res.status !== 200) throw new Error(`accept answered ${res.status}: ${await res.text()}`);
}
