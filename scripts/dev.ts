/**
 * `npm run dev`: the three control-plane services on this machine, wired like the stack wires them.
 *
 * - PostgreSQL: DATABASE_URL when set (a superuser URL: databases are created on it), otherwise a throwaway
 *   server from the installed binaries; redis: REDIS_URL or a throwaway redis-server.
 * - LiveKit: a local `livekit-server --dev` (with a fresh API key pair) when the binary is installed
 *   (.tools/bin/livekit-server, or LIVEKIT_SERVER_BIN); without it meetings still starts, and joins fail.
 * - Migrations run first (the same `migrate.ts` entry points the stack's Jobs run), then the servers (the same
 *   `server.ts` entry points the images run: components/apps/workload-spec.ts `entryCommand`).
 * - The web app: the production build (`npm run build:web` first when apps/web/dist is missing) served with a
 *   `config.json` naming the local services; the services answer CORS for its origin and chat admits it.
 * Ctrl-C stops everything it started. Ports: auth 8081, meetings 8082, chat 8083, web 8084 (DEV_BASE_PORT moves
 * them).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import postgres from "postgres";
import { keygen } from "../apps/auth/src/keygen.ts";
import { SERVICE_NAMES } from "../components/apps/service-registry.ts";
import { entryCommand } from "../components/apps/workload-spec.ts";
import { startPostgres } from "../test/support/postgres.ts";
import { freePort, spawnServer, stopProcess, waitFor } from "../test/support/processes.ts";
import { startRedis } from "../test/support/redis.ts";
import { ensureWebBuild, startDevWebServer } from "./dev-web.ts";

/** The services `npm run dev` starts: every control-plane service the stack deploys. */
export const DEV_SERVICES = SERVICE_NAMES;
type DevService = (typeof DEV_SERVICES)[number];

const root = resolve(import.meta.dirname, "..");
const log = (message: string) => process.stdout.write(`[dev] ${message}\n`);

/** The databases the services use, as in the stack: one per service and one per chat shard. */
const DATABASES = ["auth", "meetings", "chat_s0", "chat_s1"];

async function ensureDatabases(adminUrl: string): Promise<Record<string, string>> {
  const sql = postgres(adminUrl, { max: 1, onnotice: () => undefined });
  try {
    const existing = new Set(
      (await sql<{ datname: string }[]>`select datname from pg_database`).map((r) => r.datname),
    );
    for (const name of DATABASES) {
      if (!existing.has(name)) await sql.unsafe(`CREATE DATABASE "${name}"`);
    }
  } finally {
    await sql.end();
  }
  return Object.fromEntries(
    DATABASES.map((name) => {
      const url = new URL(adminUrl);
      url.pathname = `/${name}`;
      return [name, url.toString()];
    }),
  );
}

function runToEnd(service: DevService, env: NodeJS.ProcessEnv): Promise<void> {
  const [command, ...args] = entryCommand(service, "migrate");
  return new Promise((resolveRun, reject) => {
    const child = spawn(command!, args, { cwd: root, env, stdio: ["ignore", "inherit", "inherit"] });
    child.on("exit", (code) =>
      code === 0 ? resolveRun() : reject(new Error(`${service} migrations failed (exit ${code})`)),
    );
  });
}

async function main(): Promise<void> {
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  };
  process.once("SIGINT", () => void stopAll().then(() => process.exit(0)));
  process.once("SIGTERM", () => void stopAll().then(() => process.exit(0)));

  try {
    let adminUrl = process.env.DATABASE_URL;
    if (!adminUrl) {
      log("starting a throwaway PostgreSQL (set DATABASE_URL to use your own)…");
      const pg = await startPostgres();
      stops.push(() => pg.stop());
      adminUrl = pg.adminUrl;
    }
    let redisUrl = process.env.REDIS_URL;
    if (!redisUrl) {
      log("starting a throwaway redis-server (set REDIS_URL to use your own)…");
      const redis = await startRedis();
      stops.push(() => redis.stop());
      redisUrl = redis.url;
    }
    const databases = await ensureDatabases(adminUrl);

    const base = Number(process.env.DEV_BASE_PORT ?? 8081);
    const ports: Record<DevService, number> = { auth: base, meetings: base + 1, chat: base + 2 };
    const url = (service: DevService) => `http://127.0.0.1:${ports[service]}`;
    const webPort = base + 3;
    const webOrigin = `http://127.0.0.1:${webPort}`;
    const webDir = await ensureWebBuild(root, log);

    const livekitBin = process.env.LIVEKIT_SERVER_BIN ?? resolve(root, ".tools/bin/livekit-server");
    let livekitPort = 7880;
    // livekit-server refuses API secrets under 32 characters; a fresh pair per run (printed for local tools).
    const livekitKey = "gomeetdev";
    const livekitSecret = randomBytes(24).toString("hex");
    if (existsSync(livekitBin)) {
      livekitPort = await freePort();
      const livekit = spawnServer(livekitBin, [
        "--dev",
        "--bind",
        "127.0.0.1",
        "--port",
        String(livekitPort),
        "--keys",
        `${livekitKey}: ${livekitSecret}`,
      ]);
      stops.push(() => stopProcess(livekit.child, 2000));
      log(
        `livekit-server --dev on ws://127.0.0.1:${livekitPort} (API key ${livekitKey}, secret ${livekitSecret})`,
      );
    } else {
      log(`no livekit-server at ${livekitBin}: meetings starts, joins fail until one runs on :7880`);
    }

    const { jwks, kid } = await keygen([]);
    const common = {
      ...process.env,
      LOG_LEVEL: process.env.LOG_LEVEL ?? "info",
      REDIS_URL: redisUrl,
      AUTH_ISSUER: url("auth"),
      AUTH_JWKS_URL: `${url("auth")}/.well-known/jwks.json`,
      HOST: "127.0.0.1",
      CORS_ALLOWED_ORIGIN: webOrigin,
    };
    const env: Record<DevService, NodeJS.ProcessEnv> = {
      auth: {
        ...common,
        PORT: String(ports.auth),
        DATABASE_URL: databases.auth,
        AUTH_SIGNING_KEYS: JSON.stringify(jwks),
        AUTH_SIGNING_KID: kid,
      },
      meetings: {
        ...common,
        PORT: String(ports.meetings),
        DATABASE_URL: databases.meetings,
        LIVEKIT_URL: `ws://127.0.0.1:${livekitPort}`,
        LIVEKIT_API_URL: `http://127.0.0.1:${livekitPort}`,
        LIVEKIT_API_KEY: livekitKey,
        LIVEKIT_API_SECRET: livekitSecret,
        RECORDINGS_BUCKET: "gomeet-dev-recordings",
        RECORDINGS_ACCESS_KEY: "dev",
        RECORDINGS_SECRET_KEY: "dev-secret-not-used-locally",
      },
      chat: {
        ...common,
        PORT: String(ports.chat),
        CHAT_SHARD_URLS: `${databases.chat_s0},${databases.chat_s1}`,
        MEETINGS_URL: url("meetings"),
        CHAT_ALLOWED_ORIGINS: webOrigin,
      },
    };

    for (const service of DEV_SERVICES) {
      log(`${service}: migrating…`);
      await runToEnd(service, env[service]);
    }
    const children: ChildProcess[] = [];
    for (const service of DEV_SERVICES) {
      const [command, ...args] = entryCommand(service, "server");
      const child = spawn(command!, args, {
        cwd: root,
        env: env[service],
        stdio: ["ignore", "inherit", "inherit"],
      });
      children.push(child);
      stops.push(() => stopProcess(child, 15_000));
      await waitFor(`${service} to answer /healthz`, async () => {
        if (child.exitCode !== null) throw new Error(`${service} exited with ${child.exitCode}`);
        return (await fetch(`${url(service)}/healthz`)).ok;
      });
    }
    const web = await startDevWebServer({
      dir: webDir,
      port: webPort,
      config: {
        authUrl: url("auth"),
        meetingsUrl: url("meetings"),
        chatUrl: url("chat"),
        livekitUrl: `ws://127.0.0.1:${livekitPort}`,
      },
    });
    stops.push(() => web.stop());
    log("ready:");
    for (const service of DEV_SERVICES)
      log(`  ${service.padEnd(9)} ${url(service)}  (docs: ${url(service)}/docs)`);
    log(`  ${"web".padEnd(9)} ${web.url}  ← open this in two browser windows to hold a meeting`);
    log("Ctrl-C stops everything.");
    await Promise.race(
      children.map(
        (child, i) =>
          new Promise<void>((_, reject) =>
            child.once("exit", (code) => reject(new Error(`${DEV_SERVICES[i]} exited with ${code}`))),
          ),
      ),
    );
  } catch (error) {
    process.stderr.write(`[dev] ${(error as Error).message}\n`);
    await stopAll();
    process.exit(1);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) await main();
