import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { stringify } from "yaml";
import { keygen } from "../../../apps/auth/src/keygen.ts";
import {
  type ControlPlaneService,
  runMigrations,
  type ServiceProcess,
  startService,
} from "../../e2e/support/service-process.ts";
import { createTestDatabase } from "../../support/postgres.ts";
import {
  execFileAsync,
  findExecutable,
  freePort,
  spawnServer,
  stopProcess,
  waitFor,
} from "../../support/processes.ts";
import { useTestRedis } from "../../support/redis.ts";
import { type EdgeServer, startEdgeServer } from "./edge-server.ts";
import { createNetworkNamespace, type NetworkNamespace } from "./network-namespace.ts";
import { startPortBridge } from "./port-bridge.ts";

export const REPO_ROOT = resolve(import.meta.dirname, "../../..");
export const LIVEKIT_SERVER_BIN =
  process.env.LIVEKIT_SERVER_BIN ?? resolve(REPO_ROOT, ".tools/bin/livekit-server");
export const CHROMIUM_BIN = process.env.CHROMIUM_BIN ?? "/usr/bin/chromium";

/** What a browser test needs that is missing, in one message; CI must fail on it, a workstation may skip. */
export function missingPrograms(): string[] {
  const missing: string[] = [];
  if (!existsSync(LIVEKIT_SERVER_BIN)) missing.push(`livekit-server (${LIVEKIT_SERVER_BIN})`);
  if (!existsSync(CHROMIUM_BIN)) missing.push(`chromium (${CHROMIUM_BIN})`);
  if (!findExecutable("turnserver", ["/usr/bin"])) missing.push("turnserver (coturn)");
  if (!findExecutable("ip", ["/usr/sbin", "/sbin"])) missing.push("ip (iproute2)");
  if (process.getuid?.() !== 0) missing.push("root (to create a network namespace)");
  return missing;
}

export interface WebStack {
  namespace: NetworkNamespace;
  /** Serves the app and its /config.json: the page's origin (the CDN's `meet.<domain>`). */
  edge: EdgeServer;
  /** Routes `/v1/*` to the services on another origin (the gateway's `api.<domain>`): calls are cross-origin. */
  gateway: EdgeServer;
  /** The production build the edge serves. */
  distDir: string;
  services: Record<ControlPlaneService, ServiceProcess>;
  livekitUrl: string;
  turn: { port: number; username: string; credential: string };
  stop(): Promise<void>;
}

/** Builds the production bundle into a throwaway directory, exactly as `npm run build:web` does. */
export async function buildApp(outDir: string): Promise<void> {
  await execFileAsync(
    process.execPath,
    [
      resolve(REPO_ROOT, "node_modules/vite/bin/vite.js"),
      "build",
      "--config",
      resolve(REPO_ROOT, "apps/web/vite.config.ts"),
      "--outDir",
      outDir,
      "--emptyOutDir",
      "--logLevel",
      "warn",
    ],
    { cwd: REPO_ROOT, timeout: 180_000 },
  );
}

/**
 * The whole platform for a browser, on loopback: auth, meetings and chat as processes from their entry points
 * (real PostgreSQL and redis-server), the built app behind the edge server, and — inside a network namespace
 * with Chromium — livekit-server (loopback candidates, interfaces limited to lo) and coturn.
 */
export async function startWebStack(
  adminUrl: string,
  progress: (step: string) => void = () => undefined,
): Promise<WebStack> {
  const cleanups: (() => Promise<void>)[] = [];
  const cleanUp = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  };
  try {
    const dir = mkdtempSync(join(tmpdir(), "gomeet-web-"));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    progress("network namespace");
    const namespace = await createNetworkNamespace();
    cleanups.push(namespace.remove);

    const ports = {
      auth: await freePort(),
      meetings: await freePort(),
      chat: await freePort(),
      edge: await freePort(),
      gateway: await freePort(),
      livekit: await freePort(),
      livekitTcp: await freePort(),
      turn: await freePort(),
    };
    // The namespace is empty, so any range is free there; these stay clear of the relay range below.
    const iceStart = 52_000 + Math.floor(Math.random() * 20) * 200;
    const relayStart = 46_000 + Math.floor(Math.random() * 20) * 200;

    const bridge = await startPortBridge(namespace, {
      inward: [ports.edge, ports.gateway, ports.meetings],
      outward: [ports.livekit],
    });
    cleanups.push(bridge.stop);

    const turn = { port: ports.turn, username: "gomeet-web", credential: randomBytes(12).toString("hex") };
    const turnConf = join(dir, "turnserver.conf");
    writeFileSync(
      turnConf,
      [
        "listening-ip=127.0.0.1",
        "relay-ip=127.0.0.1",
        `listening-port=${turn.port}`,
        `min-port=${relayStart}`,
        `max-port=${relayStart + 199}`,
        "lt-cred-mech",
        `user=${turn.username}:${turn.credential}`,
        "realm=gomeet.test",
        "fingerprint",
        "no-tls",
        "no-dtls",
        "no-cli",
        // The SFU is on loopback too: relaying to it is the point of the forced-relay scenario.
        "allow-loopback-peers",
        "no-multicast-peers",
        "log-file=stdout",
        "simple-log",
        "",
      ].join("\n"),
    );
    const [turnCommand, turnArgs] = namespace.prefix(
      findExecutable("turnserver", ["/usr/bin"]) ?? "turnserver",
      ["-c", turnConf],
    );
    progress("coturn and livekit-server in the namespace");
    const coturn = spawnServer(turnCommand, turnArgs);
    cleanups.push(() => stopProcess(coturn.child));

    const apiKey = "APIweb";
    const apiSecret = randomBytes(32).toString("hex");
    const livekitConf = join(dir, "livekit.yaml");
    writeFileSync(
      livekitConf,
      stringify({
        port: ports.livekit,
        bind_addresses: ["127.0.0.1"],
        rtc: {
          tcp_port: ports.livekitTcp,
          port_range_start: iceStart,
          port_range_end: iceStart + 199,
          use_external_ip: false,
          node_ip: "127.0.0.1",
          enable_loopback_candidate: true,
          interfaces: { includes: ["lo"] },
          ips: { includes: ["127.0.0.1/32"] },
          turn_servers: [
            {
              host: "127.0.0.1",
              port: turn.port,
              protocol: "udp",
              username: turn.username,
              credential: turn.credential,
            },
          ],
        },
        keys: { [apiKey]: apiSecret },
        webhook: { api_key: apiKey, urls: [`http://127.0.0.1:${ports.meetings}/livekit/webhook`] },
        logging: { level: "warn" },
      }),
      { mode: 0o600 },
    );
    const [lkCommand, lkArgs] = namespace.prefix(LIVEKIT_SERVER_BIN, ["--config", livekitConf]);
    const livekit = spawnServer(lkCommand, lkArgs);
    cleanups.push(() => stopProcess(livekit.child, 10_000));
    const livekitUrl = `http://127.0.0.1:${ports.livekit}`;
    await waitFor(
      "livekit-server (in the namespace) to answer",
      async () => {
        if (livekit.child.exitCode !== null) throw new Error(`livekit-server exited:\n${livekit.output()}`);
        return (await fetch(livekitUrl)).status === 200;
      },
      30_000,
    );

    progress("databases and redis-server");
    const databases = {
      auth: await createTestDatabase(adminUrl, "web_auth"),
      meetings: await createTestDatabase(adminUrl, "web_meetings"),
      chat: [
        await createTestDatabase(adminUrl, "web_chat_s0"),
        await createTestDatabase(adminUrl, "web_chat_s1"),
      ],
    };
    for (const db of [databases.auth, databases.meetings, ...databases.chat]) cleanups.push(db.drop);
    const redis = await useTestRedis();
    cleanups.push(redis.stop);

    const issuer = "https://api.gomeet.test";
    const { jwks, kid } = await keygen([]);
    const edgeOrigin = `http://127.0.0.1:${ports.edge}`;
    const base: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOST: "127.0.0.1",
      LOG_LEVEL: "warn",
      SHUTDOWN_DRAIN_MS: "3000",
      REDIS_URL: redis.url,
      // The app calls the APIs from its own origin, as meet.<domain> calls api.<domain>.
      CORS_ALLOWED_ORIGIN: edgeOrigin,
    };
    const verify = {
      AUTH_ISSUER: issuer,
      AUTH_AUDIENCE: "gomeet",
      AUTH_JWKS_URL: `http://127.0.0.1:${ports.auth}/.well-known/jwks.json`,
    };
    const env: Record<ControlPlaneService, NodeJS.ProcessEnv> = {
      auth: {
        ...base,
        PORT: String(ports.auth),
        DATABASE_URL: databases.auth.url,
        AUTH_ISSUER: issuer,
        AUTH_AUDIENCE: "gomeet",
        AUTH_SIGNING_KEYS: JSON.stringify(jwks),
        AUTH_SIGNING_KID: kid,
      },
      meetings: {
        ...base,
        ...verify,
        PORT: String(ports.meetings),
        DATABASE_URL: databases.meetings.url,
        LIVEKIT_URL: `ws://127.0.0.1:${ports.livekit}`,
        LIVEKIT_API_URL: livekitUrl,
        LIVEKIT_API_KEY: apiKey,
        LIVEKIT_API_SECRET: apiSecret,
        RECORDINGS_BUCKET: "gomeet-web-recordings",
        RECORDINGS_ACCESS_KEY: "DO00WEBACCESSKEY",
        RECORDINGS_SECRET_KEY: randomBytes(24).toString("hex"),
      },
      chat: {
        ...base,
        ...verify,
        PORT: String(ports.chat),
        CHAT_SHARD_URLS: databases.chat.map((db) => db.url).join(","),
        MEETINGS_URL: `http://127.0.0.1:${ports.meetings}`,
        CHAT_ALLOWED_ORIGINS: edgeOrigin,
        // Removal must show at the very next socket (docs/services/chat.md).
        CHAT_MEMBERSHIP_CACHE_MS: "0",
      },
    };
    progress("migrations and services");
    const services: Partial<Record<ControlPlaneService, ServiceProcess>> = {};
    for (const service of ["auth", "meetings", "chat"] as const) await runMigrations(service, env[service]);
    for (const service of ["auth", "meetings", "chat"] as const) {
      services[service] = await startService(service, ports[service], env[service]);
      const started = services[service];
      cleanups.push(async () => void (await started.stop(10_000)));
    }

    const distDir = join(dir, "dist");
    progress("production build of the app");
    await buildApp(distDir);
    const upstreams = {
      auth: `http://127.0.0.1:${ports.auth}`,
      meetings: `http://127.0.0.1:${ports.meetings}`,
      chat: `http://127.0.0.1:${ports.chat}`,
    };
    const gateway = await startEdgeServer({
      port: ports.gateway,
      distDir,
      upstreams,
      config: () => ({ authUrl: "", meetingsUrl: "", chatUrl: "", livekitUrl: "" }),
    });
    cleanups.push(gateway.stop);
    const edge = await startEdgeServer({
      port: ports.edge,
      distDir,
      upstreams,
      config: () => ({
        authUrl: gateway.origin,
        meetingsUrl: gateway.origin,
        chatUrl: gateway.origin,
        livekitUrl: `ws://127.0.0.1:${ports.livekit}`,
      }),
    });
    cleanups.push(edge.stop);

    return {
      namespace,
      edge,
      gateway,
      distDir,
      services: services as Record<ControlPlaneService, ServiceProcess>,
      livekitUrl,
      turn,
      stop: cleanUp,
    };
  } catch (error) {
    await cleanUp();
    throw error;
  }
}
