import type { Redis, Result } from "ioredis";
import type { ServiceMetrics } from "./metrics.ts";
import { ApiError } from "./problem.ts";

/** `limit` requests per `windowSeconds`, allowed in a burst of up to `limit`. */
export interface RateLimitRule {
  limit: number;
  windowSeconds: number;
}

export interface RateLimitDecision {
  allowed: boolean;
  /** Requests still allowed right now. */
  remaining: number;
  /** Whole seconds until the next request is allowed (0 when allowed). */
  retryAfterSeconds: number;
}

/**
 * GCRA (generic cell rate algorithm) in one Lua script, so check-and-update is atomic on the Redis server and
 * every replica shares one clock (Redis TIME). The key holds the "theoretical arrival time" in microseconds;
 * see Brandur Leach, "Rate Limiting, Cells, and GCRA", https://brandur.org/rate-limiting.
 * KEYS[1] = bucket; ARGV[1] = emission interval µs (window / limit); ARGV[2] = window µs; ARGV[3] = cost.
 */
const GCRA_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local new_tat = tat + interval * cost
local allow_at = new_tat - window
if now < allow_at then
  return {0, 0, allow_at - now}
end
redis.call('SET', KEYS[1], new_tat, 'PX', math.ceil((new_tat - now) / 1000))
return {1, math.floor((now + window - new_tat) / interval), 0}
`;

export interface RateLimiter {
  readonly name: string;
  readonly rule: RateLimitRule;
  /** Counts one request against `key` and says whether it is allowed. */
  consume(key: string): Promise<RateLimitDecision>;
  /**
   * Like consume, but throws a 429 problem with Retry-After (and counts gomeet_rate_limited_total); a 503
   * problem when Redis cannot be reached.
   */
  enforce(key: string): Promise<void>;
}

export interface RateLimiterOptions {
  redis: Redis;
  /** Limiter name: the `limiter` label of gomeet_rate_limited_total and part of the Redis key. */
  name: string;
  rule: RateLimitRule;
  /** Prefix of every Redis key (a service name, so services sharing one Redis never collide). */
  prefix: string;
  metrics?: ServiceMetrics;
}

declare module "ioredis" {
  interface RedisCommander<Context> {
    gomeetGcra(
      key: string,
      intervalMicros: number,
      windowMicros: number,
      cost: number,
    ): Result<[number, number, number], Context>;
  }
}

export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const { redis, name, rule } = options;
  if (!Number.isInteger(rule.limit) || rule.limit < 1)
    throw new Error(`rate limiter ${name}: limit must be an integer ≥ 1, got ${rule.limit}`);
  if (!(rule.windowSeconds > 0))
    throw new Error(`rate limiter ${name}: windowSeconds must be > 0, got ${rule.windowSeconds}`);
  if (!(redis as { gomeetGcra?: unknown }).gomeetGcra)
    redis.defineCommand("gomeetGcra", { numberOfKeys: 1, lua: GCRA_SCRIPT });
  const windowMicros = Math.round(rule.windowSeconds * 1_000_000);
  const intervalMicros = Math.max(1, Math.floor(windowMicros / rule.limit));
  const limiter: RateLimiter = {
    name,
    rule,
    async consume(key) {
      const [allowed, remaining, waitMicros] = await redis.gomeetGcra(
        `${options.prefix}:rl:${name}:${key}`,
        intervalMicros,
        windowMicros,
        1,
      );
      return {
        allowed: allowed === 1,
        remaining: Math.max(0, remaining),
        retryAfterSeconds: allowed === 1 ? 0 : Math.max(1, Math.ceil(waitMicros / 1_000_000)),
      };
    },
    async enforce(key) {
      let decision: RateLimitDecision;
      try {
        decision = await limiter.consume(key);
      } catch {
        // Fail closed: a request that cannot be counted is not let through (login, refresh and register are the
        // endpoints an attacker would aim at while Redis is away).
        throw new ApiError(
          503,
          "rate_limiter_unavailable",
          "the request could not be checked against its rate limit; retry shortly",
          {
            headers: { "retry-after": "1" },
          },
        );
      }
      if (decision.allowed) return;
      options.metrics?.rateLimited.inc({ limiter: name });
      throw new ApiError(
        429,
        "rate_limited",
        `too many requests; retry after ${decision.retryAfterSeconds} s`,
        {
          headers: { "retry-after": String(decision.retryAfterSeconds) },
        },
      );
    },
  };
  return limiter;
}

/** Parses a rule written as `LIMIT/WINDOW` with the window in seconds (`s`), minutes (`m`) or hours (`h`): `20/1m`. */
export function parseRateLimitRule(text: string): RateLimitRule {
  const match = /^(\d+)\/(\d+(?:\.\d+)?)(s|m|h)$/.exec(text.trim());
  if (!match) throw new Error(`expected LIMIT/WINDOW such as 20/1m or 5/30s, got ${JSON.stringify(text)}`);
  const unit = { s: 1, m: 60, h: 3600 }[match[3] as "s" | "m" | "h"];
  const rule = { limit: Number(match[1]), windowSeconds: Number(match[2]) * unit };
  if (rule.limit < 1 || rule.windowSeconds <= 0)
    throw new Error(`expected a limit ≥ 1 and a window > 0, got ${JSON.stringify(text)}`);
  return rule;
}
