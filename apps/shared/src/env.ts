import { z } from "zod";
import { corsOriginVar } from "./cors.ts";
import { parseRateLimitRule } from "./rate-limit.ts";
import { parseRedisShardUrls } from "./redis-shards.ts";

/** Thrown when the environment does not satisfy a service's schema; the message names every bad variable. */
export class EnvError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`invalid environment:\n${problems.map((p) => `  ${p}`).join("\n")}`);
    this.name = "EnvError";
    this.problems = problems;
  }
}

export interface ParseEnvOptions {
  /** Variables whose values are never repeated in an error message (only their length is). */
  secrets?: readonly string[];
}

function describeValue(name: string, value: unknown, secrets: ReadonlySet<string>): string {
  if (value === undefined) return "it is not set";
  if (secrets.has(name)) return `got a value of ${String(value).length} characters (hidden: secret)`;
  return `got ${JSON.stringify(value)}`;
}

/**
 * Validates `env` against `schema` (a zod object keyed by variable name). On failure every problem is
 * reported as `NAME: rule, got "value"`, with secret values hidden.
 */
export function parseEnv<S extends z.ZodObject>(
  schema: S,
  env: Record<string, string | undefined>,
  options: ParseEnvOptions = {},
): z.infer<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const secrets = new Set(options.secrets ?? []);
  const problems = result.error.issues.map((issue) => {
    const name = String(issue.path[0] ?? "(environment)");
    const rest = issue.path.slice(1).join(".");
    const where = rest ? `${name} (${rest})` : name;
    return `${where}: ${issue.message}, ${describeValue(name, env[name], secrets)}`;
  });
  throw new EnvError(problems);
}

/** A TCP port number, given as a decimal string. */
export const portVar = (fallback: number) =>
  z.coerce
    .number({ error: "expected a port number" })
    .int({ error: "expected an integer port" })
    .min(1, { error: "expected a port between 1 and 65535" })
    .max(65535, { error: "expected a port between 1 and 65535" })
    .default(fallback);

/** A positive integer with an optional lower bound, given as a decimal string. */
export const intVar = (fallback: number, min = 1) =>
  z.coerce
    .number({ error: "expected a number" })
    .int({ error: "expected an integer" })
    .min(min, { error: `expected an integer ≥ ${min}` })
    .default(fallback);

/** A URL whose scheme is one of `protocols` (for example `postgres:`). */
export const urlVar = (protocols: readonly string[]) =>
  z.string({ error: "is required" }).refine(
    (value) => {
      try {
        return protocols.includes(new URL(value).protocol);
      } catch {
        return false;
      }
    },
    { error: `expected a URL with scheme ${protocols.map((p) => p.replace(/:$/, "")).join(" or ")}` },
  );

/**
 * `REDIS_SHARD_URLS`: the app keyspace's Valkey shards in shard order (docs/data.md); absent means one shard,
 * REDIS_URL. The parser's own message (which names the variable) becomes the issue under that variable.
 */
export const redisShardUrlsVar = z
  .string()
  .optional()
  .transform((text, ctx) => {
    if (text === undefined) return undefined;
    try {
      return parseRedisShardUrls(text, "REDIS_SHARD_URLS");
    } catch (error) {
      ctx.addIssue({ code: "custom", message: (error as Error).message.replace(/^REDIS_SHARD_URLS: /, "") });
      return z.NEVER;
    }
  });

export const logLevelVar = z
  .enum(["debug", "info", "warn", "error"], { error: "expected debug, info, warn or error" })
  .default("info");

/** The variables every service reads. */
/** A rate-limit rule written `LIMIT/WINDOW` (`20/1m`, `5/30s`, `100/1h`), parsed to `{ limit, windowSeconds }`. */
export const rateLimitVar = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((text, ctx) => {
      try {
        return parseRateLimitRule(text);
      } catch {
        ctx.addIssue({ code: "custom", message: "expected LIMIT/WINDOW such as 20/1m, 5/30s or 100/1h" });
        return z.NEVER;
      }
    });

/** `true` or `false` (exactly); anything else is refused with the rule. */
export const booleanVar = (fallback: boolean) =>
  z
    .enum(["true", "false"], { error: "expected true or false" })
    .default(fallback ? "true" : "false")
    .transform((v) => v === "true");

export const baseEnvSchema = z.object({
  PORT: portVar(8080),
  HOST: z.string().min(1).default("0.0.0.0"),
  LOG_LEVEL: logLevelVar,
  /** How many reverse proxies (the edge gateway) sit in front; their X-Forwarded-For entries are trusted. */
  TRUST_PROXY_HOPS: intVar(0, 0),
  /** How long graceful shutdown waits for in-flight requests before closing their connections. */
  SHUTDOWN_DRAIN_MS: intVar(10_000, 0),
  /**
   * postgres.js prepared statements. The stack connects through PgBouncer pools in transaction mode, where a
   * statement prepared in one transaction is gone in the next, so it sets this to false
   * (docs/sources.md#postgres-behind-pgbouncer).
   */
  DATABASE_PREPARE: booleanVar(true),
  /** The web app's origin, the only one the API answers CORS for (apps/shared/src/cors.ts); unset: none. */
  CORS_ALLOWED_ORIGIN: corsOriginVar,
});
