import { readFileSync } from "node:fs";
import type { Redis } from "ioredis";
import type { JWK } from "jose";
import { createTestDatabase } from "../../../test/support/postgres.ts";
import { type RedisServer, useTestRedis } from "../../../test/support/redis.ts";
import {
  createDatabase,
  createLogger,
  createRedis,
  type Database,
  redisReady,
  runMigrations,
  type ServiceApp,
} from "../../shared/src/index.ts";

export { metricValue } from "../../shared/test/metrics-text.ts";

import { createAuthApp } from "../src/app.ts";
import type { AuthConfig } from "../src/config.ts";
import { AUTH_MIGRATIONS_DIR } from "../src/migrate.ts";
import { createPasswordHasher, DEFAULT_ARGON2, type PasswordHasher } from "../src/passwords.ts";
import { generateSigningKey, loadSigningKeys, type SigningKeys } from "../src/signing-keys.ts";

export const ISSUER = "https://auth.gomeet.test";
export const AUDIENCE = "gomeet";

const generous = { limit: 10_000, windowSeconds: 60 };

export function testConfig(overrides: Partial<AuthConfig> = {}): AuthConfig {
  return {
    issuer: ISSUER,
    audience: AUDIENCE,
    accessTokenTtlSeconds: 300,
    chatTicketTtlSeconds: 60,
    refreshIdleSeconds: 1800,
    refreshAbsoluteSeconds: 43_200,
    trustProxyHops: 1,
    rateLimits: {
      loginIp: generous,
      loginAccount: generous,
      registerIp: generous,
      refreshIp: generous,
      refreshAccount: generous,
    },
    argon2: DEFAULT_ARGON2,
    hashing: { concurrency: 2, queue: 64 },
    ...overrides,
  };
}

/** A running auth app on a fresh database and a private redis-server, with every log line captured. */
export interface AuthHarness {
  service: ServiceApp;
  db: Database;
  redis: Redis;
  redisServer: RedisServer;
  keys: SigningKeys;
  /** The private JWK set the app signs with (tests forge tokens with it). */
  privateJwks: { keys: JWK[] };
  config: AuthConfig;
  logs: string[];
  request(
    path: string,
    init?: RequestInit & { json?: unknown; token?: string; ip?: string },
  ): Promise<Response>;
  stop(): Promise<void>;
}

export async function startAuthHarness(
  adminUrl: string,
  overrides: Partial<AuthConfig> = {},
  label = "auth",
  /** Wraps the real argon2id hasher (tests that observe how many hashes run at once). */
  wrapHasher: (hasher: PasswordHasher) => PasswordHasher = (hasher) => hasher,
): Promise<AuthHarness> {
  const database = await createTestDatabase(adminUrl, label);
  const redisServer = await useTestRedis();
  const db = createDatabase({ url: database.url, max: 5 });
  await runMigrations(db.sql, AUTH_MIGRATIONS_DIR);
  const redis = createRedis({ url: redisServer.url });
  await redisReady(redis);
  const key = await generateSigningKey("EdDSA");
  const privateJwks = { keys: [key] };
  const keys = await loadSigningKeys(JSON.stringify(privateJwks), undefined);
  const logs: string[] = [];
  const logger = createLogger({ service: "auth", level: "debug", sink: (line) => logs.push(line) });
  const config = testConfig(overrides);
  const service = createAuthApp({
    sql: db.sql,
    redis,
    config,
    keys,
    hasher: wrapHasher(await createPasswordHasher(config.argon2)),
    logger,
  });
  return {
    service,
    db,
    redis,
    redisServer,
    keys,
    privateJwks,
    config,
    logs,
    request(path, init = {}) {
      const { json, token, ip, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (json !== undefined) headers.set("content-type", "application/json");
      if (token) headers.set("authorization", `Bearer ${token}`);
      headers.set("x-forwarded-for", ip ?? "192.0.2.1");
      return Promise.resolve(
        service.app.request(path, {
          ...rest,
          headers,
          ...(json !== undefined ? { body: JSON.stringify(json) } : {}),
        }),
      );
    },
    async stop() {
      redis.disconnect();
      await db.close();
      await redisServer.stop();
      await database.drop();
    },
  };
}

export interface SignedInUser {
  email: string;
  password: string;
  id: string;
  accessToken: string;
  refreshToken: string;
  sessionId: string;
}

let counter = 0;

/** Registers a fresh user and signs in. */
export async function signUp(
  h: AuthHarness,
  options: { admin?: boolean; password?: string } = {},
): Promise<SignedInUser> {
  counter += 1;
  const email = `user${counter}-${Date.now()}@example.com`;
  const password = options.password ?? `pw-${counter}-correct horse battery`;
  const reg = await h.request("/v1/auth/register", {
    method: "POST",
    json: { email, displayName: `User ${counter}`, password },
  });
  if (reg.status !== 202) throw new Error(`register answered ${reg.status}: ${await reg.text()}`);
  if (options.admin) await h.db.sql`update users set roles = '{admin,member}' where email = ${email}`;
  return await signIn(h, email, password);
}

export async function signIn(h: AuthHarness, email: string, password: string): Promise<SignedInUser> {
  const res = await h.request("/v1/auth/login", { method: "POST", json: { email, password } });
  if (res.status !== 200) throw new Error(`login answered ${res.status}: ${await res.text()}`);
  const body = (await res.json()) as { accessToken: string; refreshToken: string; sessionId: string };
  const [row] = await h.db.sql<{ id: string }[]>`select id from users where email = ${email}`;
  return {
    email,
    password,
    id: row!.id,
    accessToken: body.accessToken,
    refreshToken: body.refreshToken,
    sessionId: body.sessionId,
  };
}

/** Field 19 (nice) of /proc/<pid>/task/<tid>/stat; the fields after the command name, which may hold spaces. */
export function threadNice(tid: number, pid: number | "self" = "self"): number {
  const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // Fields 1 and 2 (pid, comm) come before the ")", so field 19 is the 17th after it.
  return Number(fields[19 - 3]);
}
