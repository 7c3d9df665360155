import type { MiddlewareHandler } from "hono";
import type { Redis } from "ioredis";
import { Counter } from "prom-client";
import {
  ApiError,
  cors,
  createApp,
  createRateLimiter,
  createTokenVerifier,
  type Logger,
  luaScriptingReadiness,
  requireAuth,
  type ServiceApp,
  type ServiceMetrics,
  type Sql,
} from "../../shared/src/index.ts";
import { AccessEventPublisher } from "./access-events.ts";
import type { AuthConfig, AuthRateLimits } from "./config.ts";
import { HashingPool, poolHasher } from "./hashing-pool.ts";
import type { PasswordHasher } from "./passwords.ts";
import { accountRoutes } from "./routes/account-routes.ts";
import { adminRoutes } from "./routes/admin-routes.ts";
import { authRoutes } from "./routes/auth-routes.ts";
import type { AuthContext, AuthEnv } from "./routes/context.ts";
import { jwksRoutes } from "./routes/jwks-routes.ts";
import { findOpenSessionUser } from "./sessions.ts";
import { SIGNING_ALGORITHMS, type SigningKeys } from "./signing-keys.ts";
import { TokenIssuer } from "./tokens.ts";

export interface AuthAppDeps {
  sql: Sql;
  redis: Redis;
  config: AuthConfig;
  keys: SigningKeys;
  hasher: PasswordHasher;
  logger: Logger;
  metrics?: ServiceMetrics;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The auth service as a Hono app (used by server.ts and by the tests, which call app.request directly). */
export function createAuthApp(deps: AuthAppDeps): ServiceApp {
  const { sql, redis, config } = deps;
  const service = createApp({
    service: "auth",
    description:
      "Users, sessions, access tokens, refresh tokens, chat tickets and the JWKS. Errors are application/problem+json.",
    logger: deps.logger,
    ...(deps.metrics ? { metrics: deps.metrics } : {}),
    readiness: [
      { name: "postgres", check: async () => await sql`select 1` },
      { name: "redis", check: () => redis.ping() },
      luaScriptingReadiness(redis),
    ],
  });
  const { metrics } = service;
  // Before the routes: answers the web app's preflights and marks its answers (apps/shared/src/cors.ts).
  service.app.use(cors({ allowedOrigin: config.corsAllowedOrigin }));

  const limiters = Object.fromEntries(
    (Object.entries(config.rateLimits) as [keyof AuthRateLimits, AuthRateLimits[keyof AuthRateLimits]][]).map(
      ([name, rule]) => [
        name,
        createRateLimiter({
          redis,
          name: `auth_${name.replace(/[A-Z]/g, (ch) => `_${ch.toLowerCase()}`)}`,
          rule,
          prefix: "gomeet:auth",
          metrics,
        }),
      ],
    ),
  ) as AuthContext["limiters"];

  const loginFailures = new Counter({
    name: "gomeet_auth_login_failures_total",
    help: "Failed logins by reason (bad_credentials, disabled, locked).",
    labelNames: ["reason"],
    registers: [metrics.registry],
  });

  const verifier = createTokenVerifier({
    jwks: deps.keys.publicJwks,
    issuer: config.issuer,
    audience: config.audience,
    algorithms: [...SIGNING_ALGORITHMS],
  });
  const bearer = requireAuth(verifier) as unknown as MiddlewareHandler<AuthEnv>;

  const sessionEnded = (code: string, detail: string): never => {
    metrics.authDenied.inc({ status: "401" });
    throw new ApiError(401, code, detail, {
      headers: { "www-authenticate": `Bearer error="invalid_token"` },
    });
  };

  const requireSession: MiddlewareHandler<AuthEnv> = (c, next) =>
    bearer(c, async () => {
      const principal = c.get("principal");
      const sessionId = principal.sessionId;
      if (!sessionId || !UUID.test(sessionId) || !UUID.test(principal.subject)) {
        return sessionEnded("invalid_token", "token rejected: it does not name a session");
      }
      const user = await findOpenSessionUser(sql, sessionId, principal.subject);
      if (!user) return sessionEnded("session_ended", "the session of this token has ended");
      if (user.disabledAt) return sessionEnded("account_disabled", "this account is disabled");
      c.set("account", user);
      await next();
    });

  const requireAdmin: MiddlewareHandler<AuthEnv> = async (c, next) => {
    if (!c.get("account").roles.includes("admin")) {
      metrics.authDenied.inc({ status: "403" });
      throw new ApiError(403, "forbidden", "this action needs the admin role");
    }
    await next();
  };

  // Every hash of every route shares one bound, so a login storm cannot take the cores reads need.
  const hashing = new HashingPool({ ...config.hashing, registry: metrics.registry });
  const ctx: AuthContext = {
    sql,
    config,
    tokens: new TokenIssuer({
      keys: deps.keys,
      issuer: config.issuer,
      audience: config.audience,
      accessTokenTtlSeconds: config.accessTokenTtlSeconds,
      chatTicketTtlSeconds: config.chatTicketTtlSeconds,
    }),
    hasher: poolHasher(deps.hasher, hashing),
    hashing,
    limiters,
    loginFailures,
    accessEvents: new AccessEventPublisher(redis, deps.logger, metrics.registry),
    publicJwks: deps.keys.publicJwks,
    requireSession,
    requireAdmin,
  };

  for (const router of [jwksRoutes(ctx), authRoutes(ctx), accountRoutes(ctx), adminRoutes(ctx)]) {
    service.app.route("/", router as unknown as typeof service.app);
  }
  return service;
}
