import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { dirname, join } from "node:path";
import postgres from "postgres";
import { keygen } from "../../apps/auth/src/keygen.ts";
import { createTestDatabase } from "../support/postgres.ts";
import { freePort, spawnServer, waitFor } from "../support/processes.ts";
import { useTestRedis } from "../support/redis.ts";
import type { BuiltStage } from "./image-build.ts";

/**
 * Runs programs inside a stage built by image-build.ts the way the container runtime would: the image's WORKDIR
 * as working directory and only the image's ENV plus what the pod spec adds (no variables of the test process
 * leak in), with this machine's node first on PATH.
 */

export type ImageService = "auth" | "meetings" | "chat" | "turn-prober";

function containerEnv(image: BuiltStage, env: Record<string, string>): Record<string, string> {
  return { PATH: `${dirname(process.execPath)}:/usr/bin:/bin`, ...image.env, ...env };
}

export async function runToExit(
  image: BuiltStage,
  argv: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; output: string }> {
  const [command, ...args] = argv;
  const child = spawn(command!, args, {
    cwd: join(image.root, image.workdir),
    env: containerEnv(image, env),
    stdio: ["ignore", "pipe", "pipe"],
  });
  const chunks: string[] = [];
  child.stdout.on("data", (d: Buffer) => chunks.push(d.toString()));
  child.stderr.on("data", (d: Buffer) => chunks.push(d.toString()));
  const code = await new Promise<number | null>((done, fail) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      fail(new Error(`${argv.join(" ")} did not exit within 60 s:\n${chunks.join("")}`));
    }, 60_000);
    child.once("exit", (exitCode) => {
      clearTimeout(timer);
      done(exitCode);
    });
  });
  return { code, output: chunks.join("") };
}

export interface ImageProcess {
  service: string;
  output(): string;
  /** SIGTERM; SIGKILL only if it is still running after `graceMs` (then reported as the signal). */
  stop(graceMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts the image's command and waits until `readyPath` on 127.0.0.1:`port` answers 200. */
export async function startFromImage(
  image: BuiltStage,
  argv: string[],
  env: Record<string, string>,
  port: number,
  readyPath = "/readyz",
): Promise<ImageProcess> {
  const service = image.env.SERVICE ?? "service";
  const [command, ...args] = argv;
  const spawned = spawnServer(command!, args, {
    cwd: join(image.root, image.workdir),
    env: containerEnv(image, env),
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    spawned.child.once("exit", (code, signal) => done({ code, signal })),
  );
  const running: ImageProcess = {
    service,
    output: spawned.output,
    async stop(graceMs) {
      if (spawned.child.exitCode === null && spawned.child.signalCode === null) spawned.child.kill("SIGTERM");
      const timer = setTimeout(() => spawned.child.kill("SIGKILL"), graceMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
  try {
    await waitFor(
      `${service} from the image to answer ${readyPath} with 200`,
      async () => {
        if (spawned.child.exitCode !== null)
          throw new Error(`exited ${spawned.child.exitCode}:\n${spawned.output()}`);
        return (await fetch(`http://127.0.0.1:${port}${readyPath}`)).status === 200;
      },
      30_000,
    );
  } catch (error) {
    await running.stop(5_000);
    throw error;
  }
  return running;
}

export interface ServiceEnvironments {
  env: Record<ImageService, Record<string, string>>;
  port: Record<ImageService, number>;
  /** Rows in a service's schema_migrations (chat: summed over its shards). */
  appliedMigrations(service: "auth" | "meetings" | "chat"): Promise<number>;
  cleanUp(): Promise<void>;
}

/**
 * The variables infra/layers/apps.ts gives each pod, pointing at throwaway databases on the PostgreSQL behind
 * `adminUrl` (one per service, two chat shards) and a redis-server. LiveKit is named on a loopback port nothing
 * listens on: starting and readiness do not call it. Without `adminUrl` only the TURN prober's are usable.
 */
export async function serviceEnvironments(adminUrl: string | undefined): Promise<ServiceEnvironments> {
  const cleanups: (() => Promise<void>)[] = [];
  const port = {
    auth: await freePort(),
    meetings: await freePort(),
    chat: await freePort(),
    "turn-prober": await freePort(),
  };
  const url = (s: ImageService) => `http://127.0.0.1:${port[s]}`;
  const prober = {
    TURN_STATIC_AUTH_SECRET: randomBytes(24).toString("hex"),
    TURN_PROBE_TARGETS: `127.0.0.1:${await freePort()}`,
    TURN_PROBE_INTERVAL_SECONDS: "1",
    TURN_PROBE_TIMEOUT_MS: "200",
    METRICS_HOST: "127.0.0.1",
    METRICS_PORT: String(port["turn-prober"]),
  };
  const empty = { auth: {}, meetings: {}, chat: {}, "turn-prober": prober };
  if (adminUrl === undefined) {
    return { env: empty, port, appliedMigrations: async () => 0, cleanUp: async () => undefined };
  }
  try {
    const db = {
      auth: await createTestDatabase(adminUrl, "image_auth"),
      meetings: await createTestDatabase(adminUrl, "image_meetings"),
      chat: [
        await createTestDatabase(adminUrl, "image_chat_s0"),
        await createTestDatabase(adminUrl, "image_chat_s1"),
      ],
    };
    for (const d of [db.auth, db.meetings, ...db.chat]) cleanups.push(d.drop);
    const redis = await useTestRedis();
    cleanups.push(redis.stop);
    const { jwks, kid } = await keygen([]);
    const common = {
      REDIS_URL: redis.url,
      HOST: "127.0.0.1",
      LOG_LEVEL: "warn",
      AUTH_ISSUER: "https://api.gomeet.test",
      AUTH_JWKS_URL: `${url("auth")}/.well-known/jwks.json`,
      SHUTDOWN_DRAIN_MS: "500",
    };
    const livekit = await freePort();
    const env = {
      auth: {
        ...common,
        PORT: String(port.auth),
        DATABASE_URL: db.auth.url,
        AUTH_SIGNING_KEYS: JSON.stringify(jwks),
        AUTH_SIGNING_KID: kid,
      },
      meetings: {
        ...common,
        PORT: String(port.meetings),
        DATABASE_URL: db.meetings.url,
        LIVEKIT_URL: `ws://127.0.0.1:${livekit}`,
        LIVEKIT_API_URL: `http://127.0.0.1:${livekit}`,
        LIVEKIT_API_KEY: "gomeetimage",
        LIVEKIT_API_SECRET: randomBytes(24).toString("hex"),
        RECORDINGS_BUCKET: "gomeet-image-recordings",
        RECORDINGS_ACCESS_KEY: "image-test",
        RECORDINGS_SECRET_KEY: randomBytes(16).toString("hex"),
      },
      chat: {
        ...common,
        PORT: String(port.chat),
        CHAT_SHARD_URLS: db.chat.map((d) => d.url).join(","),
        MEETINGS_URL: url("meetings"),
        CHAT_ALLOWED_ORIGINS: "https://meet.gomeet.test",
      },
      "turn-prober": prober,
    };
    const count = async (databaseUrl: string) => {
      const sql = postgres(databaseUrl, { max: 1, onnotice: () => undefined });
      try {
        const [row] = await sql<{ n: number }[]>`select count(*)::int as n from schema_migrations`;
        return row?.n ?? 0;
      } finally {
        await sql.end();
      }
    };
    return {
      env,
      port,
      async appliedMigrations(service) {
        if (service === "chat")
          return (await Promise.all(db.chat.map((d) => count(d.url)))).reduce((a, b) => a + b);
        return await count(db[service].url);
      },
      async cleanUp() {
        for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
      },
    };
  } catch (error) {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
    throw error;
  }
}
