import type { OpenAPIHono } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import type { JSONWebKeySet } from "jose";
import type { Counter } from "prom-client";
import type { AppVariables, RateLimiter, Sql } from "../../../shared/src/index.ts";
import type { AccessEventPublisher } from "../access-events.ts";
import type { AuthConfig, AuthRateLimits } from "../config.ts";
import type { HashingPool } from "../hashing-pool.ts";
import type { PasswordHasher } from "../passwords.ts";
import type { TokenIssuer } from "../tokens.ts";
import type { UserRow } from "../users.ts";

export type AuthVariables = AppVariables & {
  /** The caller's user row, loaded fresh by requireSession (so roles and disabled state are current). */
  account: UserRow;
};
export type AuthEnv = { Variables: AuthVariables };
export type AuthRouter = OpenAPIHono<AuthEnv>;

/** What the route modules share: connections, configuration and the guards built from them. */
export interface AuthContext {
  sql: Sql;
  config: AuthConfig;
  tokens: TokenIssuer;
  hasher: PasswordHasher;
  /** The bound on password hashing; routes that hash refuse at once when it is full (refuseIfFull). */
  hashing: HashingPool;
  limiters: Record<keyof AuthRateLimits, RateLimiter>;
  loginFailures: Counter<"reason">;
  /** Session ends and account disables, for the services that only see tokens. */
  accessEvents: AccessEventPublisher;
  publicJwks: JSONWebKeySet;
  /** Bearer access token valid, its session still open, its user not disabled. */
  requireSession: MiddlewareHandler<AuthEnv>;
  /** After requireSession: the user holds `admin` now (read from the database, not the token). */
  requireAdmin: MiddlewareHandler<AuthEnv>;
}

export const bearerSecurity = [{ bearerAuth: [] }];

/** A required JSON request body validated by `schema` (its failures become 422 problems naming the field). */
export const jsonBody = <T>(schema: T) => ({ content: { "application/json": { schema } }, required: true });
