import { randomBytes } from "node:crypto";
import { keygen } from "../../../apps/auth/src/keygen.ts";
import {
  iceRange,
  loopbackLiveKitInput,
  type RunningLiveKitNode,
  startLiveKitNode,
} from "../../media/support/livekit-node.ts";
import { liveKitInput } from "../../media/support/stack-inputs.ts";
import { startTlsRedis, type TlsRedis } from "../../media/support/tls-redis.ts";
import { createTestDatabase } from "../../support/postgres.ts";
import { freePort } from "../../support/processes.ts";
import { type RedisServer, useTestRedis } from "../../support/redis.ts";
import {
  type ControlPlaneService,
  type ProcessExit,
  runMigrations,
  type ServiceProcess,
  startService,
} from "./service-process.ts";

/** The origin the web app is served from; chat only accepts sockets opened from it (CHAT_ALLOWED_ORIGINS). */
export const WEB_ORIGIN = "https://gomeet.test";
/** Tokens carry the public API address as issuer while verifiers fetch the JWKS in-cluster (infra/layers/apps.ts). */
export const PUBLIC_ISSUER = "https://api.gomeet.test";

export interface ControlPlane {
  auth: ServiceProcess;
  meetings: ServiceProcess;
  chat: ServiceProcess;
  livekit: RunningLiveKitNode;
  livekitApiKey: string;
  livekitApiSecret: string;
  /** Where each service keeps its state, for tests that check it directly. */
  databaseUrls: { auth: string; meetings: string; chatShards: string[] };
  redisUrl: string;
  /** Stops the services (SIGTERM, graceful) and returns how each exited, then everything else it started. */
  stop(): Promise<Record<ControlPlaneService, ProcessExit>>;
}

/**
 * auth, meetings and chat as separate processes from their real entry points, wired with the variable names
 * infra/layers/apps.ts gives their pods: one PostgreSQL database per service plus two chat shards, one
 * redis-server for the services, and one livekit-server (the rendered staging livekit.yaml with loopback
 * addresses) whose webhooks go to meetings. LiveKit's rendered config insists on a TLS, password-protected
 * Valkey (the managed one in the stack), so its Redis is the media tests' TLS redis-server.
 */
export async function startControlPlane(
  adminUrl: string,
  overrides: Partial<Record<ControlPlaneService, Record<string, string>>> = {},
): Promise<ControlPlane> {
  const cleanups: (() => Promise<void>)[] = [];
  const cleanUp = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  };
  const started: Partial<Record<ControlPlaneService, ServiceProcess>> = {};
  try {
    const databases = {
      auth: await createTestDatabase(adminUrl, "e2e_auth"),
      meetings: await createTestDatabase(adminUrl, "e2e_meetings"),
      chatShards: [
        await createTestDatabase(adminUrl, "e2e_chat_s0"),
        await createTestDatabase(adminUrl, "e2e_chat_s1"),
      ],
    };
    for (const db of [databases.auth, databases.meetings, ...databases.chatShards]) cleanups.push(db.drop);
    const redis: RedisServer = await useTestRedis();
    cleanups.push(redis.stop);

    const ports = { auth: await freePort(), meetings: await freePort(), chat: await freePort() };
    const url = (service: ControlPlaneService) => `http://127.0.0.1:${ports[service]}`;

    const livekitBase = liveKitInput("staging");
    const livekitRedis: TlsRedis = await startTlsRedis();
    cleanups.push(livekitRedis.stop);
    const livekit = await startLiveKitNode(
      await loopbackLiveKitInput(livekitBase, {
        redis: livekitRedis,
        udpPortRange: iceRange(0),
        loopbackCandidates: true,
        webhookUrl: `${url("meetings")}/livekit/webhook`,
      }),
    );
    cleanups.push(livekit.stop);

    const { jwks, kid } = await keygen([]);
    // Only what a pod gets: no inherited REDIS_URL, DATABASE_URL or the like from the test runner.
    const base: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOST: "127.0.0.1",
      LOG_LEVEL: "warn",
      SHUTDOWN_DRAIN_MS: "5000",
      REDIS_URL: redis.url,
    };
    const tokens = {
      AUTH_ISSUER: PUBLIC_ISSUER,
      AUTH_AUDIENCE: "gomeet",
      AUTH_JWKS_URL: `${url("auth")}/.well-known/jwks.json`,
    };
    const env: Record<ControlPlaneService, NodeJS.ProcessEnv> = {
      auth: {
        ...base,
        PORT: String(ports.auth),
        DATABASE_URL: databases.auth.url,
        AUTH_ISSUER: PUBLIC_ISSUER,
        AUTH_AUDIENCE: "gomeet",
        AUTH_SIGNING_KEYS: JSON.stringify(jwks),
        AUTH_SIGNING_KID: kid,
        ...overrides.auth,
      },
      meetings: {
        ...base,
        ...tokens,
        PORT: String(ports.meetings),
        DATABASE_URL: databases.meetings.url,
        LIVEKIT_URL: livekit.wsUrl,
        LIVEKIT_API_URL: livekit.url,
        LIVEKIT_API_KEY: livekitBase.apiKey,
        LIVEKIT_API_SECRET: livekitBase.apiSecret,
        RECORDINGS_BUCKET: "gomeet-e2e-recordings",
        RECORDINGS_ACCESS_KEY: "DO00E2EACCESSKEY",
        RECORDINGS_SECRET_KEY: randomBytes(24).toString("hex"),
        ...overrides.meetings,
      },
      chat: {
        ...base,
        ...tokens,
        PORT: String(ports.chat),
        CHAT_SHARD_URLS: databases.chatShards.map((s) => s.url).join(","),
        MEETINGS_URL: url("meetings"),
        CHAT_ALLOWED_ORIGINS: WEB_ORIGIN,
        ...overrides.chat,
      },
    };

    for (const service of ["auth", "meetings", "chat"] as const) {
      await runMigrations(service, env[service]);
    }
    for (const service of ["auth", "meetings", "chat"] as const) {
      started[service] = await startService(service, ports[service], env[service]);
    }
    const { auth, meetings, chat } = started as Record<ControlPlaneService, ServiceProcess>;
    return {
      auth,
      meetings,
      chat,
      livekit,
      livekitApiKey: livekitBase.apiKey,
      livekitApiSecret: livekitBase.apiSecret,
      databaseUrls: {
        auth: databases.auth.url,
        meetings: databases.meetings.url,
        chatShards: databases.chatShards.map((s) => s.url),
      },
      redisUrl: redis.url,
      async stop() {
        // Reverse dependency order: chat asks meetings, meetings and chat verify with auth's keys.
        const exits = {} as Record<ControlPlaneService, ProcessExit>;
        exits.chat = await chat.stop(15_000);
        exits.meetings = await meetings.stop(15_000);
        exits.auth = await auth.stop(15_000);
        await cleanUp();
        return exits;
      },
    };
  } catch (error) {
    for (const service of Object.values(started)) await service.stop(5_000);
    await cleanUp();
    throw error;
  }
}
