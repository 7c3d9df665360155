import { z } from "zod";
import {
  baseEnvSchema,
  intVar,
  parseEnv,
  type RateLimitRule,
  rateLimitVar,
  urlVar,
} from "../../shared/src/index.ts";
import { DEFAULT_QUEUE_PER_SLOT, defaultHashConcurrency } from "./hashing-pool.ts";
import { type Argon2Params, checkArgon2Params } from "./passwords.ts";

export interface AuthRateLimits {
  loginIp: RateLimitRule;
  loginAccount: RateLimitRule;
  registerIp: RateLimitRule;
  refreshIp: RateLimitRule;
  refreshAccount: RateLimitRule;
}

/** Everything createAuthApp needs besides its connections; the server builds it from the environment. */
export interface AuthConfig {
  issuer: string;
  audience: string;
  accessTokenTtlSeconds: number;
  chatTicketTtlSeconds: number;
  refreshIdleSeconds: number;
  refreshAbsoluteSeconds: number;
  trustProxyHops: number;
  /** The web app's origin (CORS_ALLOWED_ORIGIN); undefined: no cross-origin access. */
  corsAllowedOrigin?: string | undefined;
  rateLimits: AuthRateLimits;
  argon2: Argon2Params;
  /** Password hashes running at once and waiting beyond them; the rest get 503 (hashing-pool.ts). */
  hashing: { concurrency: number; queue: number };
}

/** An integer variable without a fixed default (the default is computed from others or the machine). */
const optionalInt = (min: number, max: number) =>
  z.coerce
    .number({ error: "expected a number" })
    .int({ error: "expected an integer" })
    .min(min, { error: `expected an integer ≥ ${min}` })
    .max(max, { error: `expected at most ${max}` })
    .optional();

/** Every variable the auth server reads (documented in docs/services/auth.md). */
export const authEnvSchema = baseEnvSchema
  .extend({
    DATABASE_URL: urlVar(["postgres:", "postgresql:"]),
    DATABASE_POOL_MAX: intVar(10),
    REDIS_URL: urlVar(["redis:", "rediss:"]),
    AUTH_ISSUER: urlVar(["https:", "http:"]),
    AUTH_AUDIENCE: z.string().min(1).default("gomeet"),
    AUTH_SIGNING_KEYS: z
      .string({ error: "is required (a JWK set JSON; generate one with `tsx apps/auth/src/keygen.ts`)" })
      .min(1),
    AUTH_SIGNING_KID: z.string().min(1).optional(),
    AUTH_ACCESS_TOKEN_TTL_SECONDS: intVar(300, 30).pipe(
      z.number().max(3600, { error: "expected at most 3600 s" }),
    ),
    AUTH_CHAT_TICKET_TTL_SECONDS: intVar(60, 5).pipe(
      z.number().max(300, { error: "expected at most 300 s" }),
    ),
    AUTH_REFRESH_IDLE_SECONDS: intVar(1800, 60),
    AUTH_REFRESH_ABSOLUTE_SECONDS: intVar(43_200, 60),
    AUTH_RATE_LOGIN_IP: rateLimitVar("20/1m"),
    AUTH_RATE_LOGIN_ACCOUNT: rateLimitVar("10/15m"),
    AUTH_RATE_REGISTER_IP: rateLimitVar("10/1h"),
    AUTH_RATE_REFRESH_IP: rateLimitVar("120/1m"),
    AUTH_RATE_REFRESH_ACCOUNT: rateLimitVar("30/1m"),
    AUTH_ARGON2_MEMORY_KIB: intVar(19_456, 1),
    AUTH_ARGON2_TIME_COST: intVar(2, 1),
    AUTH_ARGON2_PARALLELISM: intVar(1, 1),
    AUTH_HASH_CONCURRENCY: optionalInt(1, 1024),
    AUTH_HASH_QUEUE: optionalInt(0, 100_000),
    /**
     * Nice value of the password hashing threads (hashing-worker.ts): 19, the lowest priority, lets the event loop
     * have a core whenever both want one. Only lowering is allowed: below the process's own value needs privileges.
     */
    AUTH_HASH_NICE: z.coerce
      .number({ error: "expected a number" })
      .int({ error: "expected an integer" })
      .min(0, { error: "expected an integer from 0 to 19" })
      .max(19, { error: "expected an integer from 0 to 19" })
      .default(19),
  })
  .superRefine((env, ctx) => {
    if (env.AUTH_REFRESH_IDLE_SECONDS > env.AUTH_REFRESH_ABSOLUTE_SECONDS) {
      ctx.addIssue({
        code: "custom",
        path: ["AUTH_REFRESH_IDLE_SECONDS"],
        message: "must not exceed AUTH_REFRESH_ABSOLUTE_SECONDS",
      });
    }
    const argon2Problem = checkArgon2Params({
      memoryCost: env.AUTH_ARGON2_MEMORY_KIB,
      timeCost: env.AUTH_ARGON2_TIME_COST,
      parallelism: env.AUTH_ARGON2_PARALLELISM,
    });
    if (argon2Problem)
      ctx.addIssue({ code: "custom", path: ["AUTH_ARGON2_MEMORY_KIB"], message: argon2Problem });
  });

export const AUTH_SECRET_VARS = ["DATABASE_URL", "REDIS_URL", "AUTH_SIGNING_KEYS"] as const;

export type AuthEnv = z.infer<typeof authEnvSchema>;

export function readAuthEnv(env: Record<string, string | undefined>): AuthEnv {
  return parseEnv(authEnvSchema, env, { secrets: AUTH_SECRET_VARS });
}

/** AUTH_HASH_CONCURRENCY, or one core less than the process may use (one hashing thread per slot). */
export function hashingFromEnv(env: AuthEnv, cores?: number): AuthConfig["hashing"] {
  const concurrency = env.AUTH_HASH_CONCURRENCY ?? defaultHashConcurrency(cores);
  return { concurrency, queue: env.AUTH_HASH_QUEUE ?? concurrency * DEFAULT_QUEUE_PER_SLOT };
}

export function authConfigFromEnv(env: AuthEnv): AuthConfig {
  return {
    issuer: env.AUTH_ISSUER,
    audience: env.AUTH_AUDIENCE,
    accessTokenTtlSeconds: env.AUTH_ACCESS_TOKEN_TTL_SECONDS,
    chatTicketTtlSeconds: env.AUTH_CHAT_TICKET_TTL_SECONDS,
    refreshIdleSeconds: env.AUTH_REFRESH_IDLE_SECONDS,
    refreshAbsoluteSeconds: env.AUTH_REFRESH_ABSOLUTE_SECONDS,
    trustProxyHops: env.TRUST_PROXY_HOPS,
    corsAllowedOrigin: env.CORS_ALLOWED_ORIGIN,
    rateLimits: {
      loginIp: env.AUTH_RATE_LOGIN_IP,
      loginAccount: env.AUTH_RATE_LOGIN_ACCOUNT,
      registerIp: env.AUTH_RATE_REGISTER_IP,
      refreshIp: env.AUTH_RATE_REFRESH_IP,
      refreshAccount: env.AUTH_RATE_REFRESH_ACCOUNT,
    },
    argon2: {
      memoryCost: env.AUTH_ARGON2_MEMORY_KIB,
      timeCost: env.AUTH_ARGON2_TIME_COST,
      parallelism: env.AUTH_ARGON2_PARALLELISM,
    },
    hashing: hashingFromEnv(env),
  };
}
