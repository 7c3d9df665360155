import { createRoute } from "@hono/zod-openapi";
import { ApiError, clientAddress, createRouter, problemResponseSpec } from "../../../shared/src/index.ts";
import { HashingBusyError } from "../hashing-pool.ts";
import { AcceptedSchema, LoginBody, RefreshBody, RegisterBody, TokenPairSchema } from "../schemas.ts";
import { revokeSession, rotateRefreshToken, startSession } from "../sessions.ts";
import {
  findUserByEmail,
  findUserById,
  insertUserIfAbsent,
  normalizeEmail,
  updatePasswordHash,
} from "../users.ts";
import { type AuthContext, type AuthEnv, type AuthRouter, bearerSecurity, jsonBody } from "./context.ts";
import { NO_STORE, tokenPair } from "./tokens-response.ts";

const routes = {
  register: createRoute({
    method: "post",
    path: "/v1/auth/register",
    tags: ["auth"],
    summary: "Create an account",
    description:
      "Always answers 202 with the same body whether or not the email is already registered (no user enumeration); sign in afterwards.",
    request: { body: jsonBody(RegisterBody) },
    responses: {
      202: { description: "accepted", content: { "application/json": { schema: AcceptedSchema } } },
      422: problemResponseSpec("a field is invalid"),
      429: problemResponseSpec("too many registrations from this address"),
      503: problemResponseSpec(
        "every password-hashing slot and queue place is taken (password_hashing_busy); retry after Retry-After",
      ),
    },
  }),
  login: createRoute({
    method: "post",
    path: "/v1/auth/login",
    tags: ["auth"],
    summary: "Sign in with email and password; starts a session",
    request: { body: jsonBody(LoginBody) },
    responses: {
      200: { description: "signed in", content: { "application/json": { schema: TokenPairSchema } } },
      401: problemResponseSpec("unknown email or wrong password (same answer for both)"),
      403: problemResponseSpec("the account is disabled"),
      422: problemResponseSpec("a field is invalid"),
      429: problemResponseSpec("too many attempts for this address or account"),
      503: problemResponseSpec(
        "every password-hashing slot and queue place is taken (password_hashing_busy); retry after Retry-After",
      ),
    },
  }),
  refresh: createRoute({
    method: "post",
    path: "/v1/auth/refresh",
    tags: ["auth"],
    summary: "Exchange a refresh token for a new token pair (the old refresh token is used up)",
    request: { body: jsonBody(RefreshBody) },
    responses: {
      200: { description: "rotated", content: { "application/json": { schema: TokenPairSchema } } },
      401: problemResponseSpec("unknown, expired, ended or reused refresh token; a reuse ends the session"),
      422: problemResponseSpec("a field is invalid"),
      429: problemResponseSpec("too many refreshes"),
    },
  }),
  logout: createRoute({
    method: "post",
    path: "/v1/auth/logout",
    tags: ["auth"],
    summary: "End the session of the presented access token",
    security: bearerSecurity,
    responses: { 204: { description: "session ended" }, 401: problemResponseSpec("no valid access token") },
  }),
};

const REGISTER_ACCEPTED = {
  status: "accepted" as const,
  detail: "If this email can be registered, the account now exists; sign in to continue.",
};

export function authRoutes(ctx: AuthContext): AuthRouter {
  const router = createRouter<AuthEnv>();

  router.openapi(routes.register, async (c) => {
    const body = c.req.valid("json");
    ctx.hashing.refuseIfFull();
    await ctx.limiters.registerIp.enforce(clientAddress(c, ctx.config.trustProxyHops));
    const passwordHash = await ctx.hasher.hash(body.password);
    await insertUserIfAbsent(ctx.sql, {
      email: normalizeEmail(body.email),
      displayName: body.displayName,
      passwordHash,
    });
    return c.json(REGISTER_ACCEPTED, 202);
  });

  router.openapi(routes.login, async (c) => {
    const body = c.req.valid("json");
    const email = normalizeEmail(body.email);
    const ip = clientAddress(c, ctx.config.trustProxyHops);
    ctx.hashing.refuseIfFull();
    await ctx.limiters.loginIp.enforce(ip);
    try {
      await ctx.limiters.loginAccount.enforce(email);
    } catch (error) {
      ctx.loginFailures.inc({ reason: "locked" });
      throw error;
    }
    const user = await findUserByEmail(ctx.sql, email);
    const ok = await ctx.hasher.verify(user?.passwordHash, body.password);
    if (!user || !ok) {
      ctx.loginFailures.inc({ reason: "bad_credentials" });
      throw new ApiError(401, "invalid_credentials", "the email or the password is wrong");
    }
    if (user.disabledAt) {
      ctx.loginFailures.inc({ reason: "disabled" });
      throw new ApiError(403, "account_disabled", "this account is disabled");
    }
    if (ctx.hasher.needsRehash(user.passwordHash)) {
      // The password was right: a full hashing pool postpones the upgrade to a later login, not the login.
      const upgraded = await ctx.hasher.hash(body.password).catch((error: unknown) => {
        if (error instanceof HashingBusyError) return undefined;
        throw error;
      });
      if (upgraded) await updatePasswordHash(ctx.sql, user.id, upgraded);
    }
    const session = await startSession(
      ctx.sql,
      { userId: user.id, userAgent: c.req.header("user-agent"), ip },
      { idleSeconds: ctx.config.refreshIdleSeconds, absoluteSeconds: ctx.config.refreshAbsoluteSeconds },
    );
    return c.json(await tokenPair(ctx, user, session.sessionId, session.refreshToken), 200, NO_STORE);
  });

  router.openapi(routes.refresh, async (c) => {
    const body = c.req.valid("json");
    await ctx.limiters.refreshIp.enforce(clientAddress(c, ctx.config.trustProxyHops));
    const outcome = await rotateRefreshToken(
      ctx.sql,
      body.refreshToken,
      { idleSeconds: ctx.config.refreshIdleSeconds, absoluteSeconds: ctx.config.refreshAbsoluteSeconds },
      (userId) => ctx.limiters.refreshAccount.enforce(userId),
    );
    switch (outcome.kind) {
      case "rotated": {
        const user = await findUserById(ctx.sql, outcome.userId);
        if (!user) throw new ApiError(401, "invalid_refresh_token", "the refresh token is not valid");
        return c.json(await tokenPair(ctx, user, outcome.sessionId, outcome.refreshToken), 200, NO_STORE);
      }
      case "reused":
        if (outcome.ended) await ctx.accessEvents.sessionsEnded(outcome.userId, [outcome.sessionId]);
        throw new ApiError(
          401,
          "refresh_token_reused",
          "this refresh token was already used; its session has been ended",
        );
      case "disabled":
        if (outcome.ended) await ctx.accessEvents.sessionsEnded(outcome.userId, [outcome.sessionId]);
        throw new ApiError(401, "account_disabled", "this account is disabled");
      default:
        throw new ApiError(
          401,
          "invalid_refresh_token",
          "the refresh token is not valid, has expired or its session has ended",
        );
    }
  });

  router.openapi({ ...routes.logout, middleware: [ctx.requireSession] }, async (c) => {
    const sessionId = c.get("principal").sessionId;
    if (sessionId && (await revokeSession(ctx.sql, sessionId, "logout")))
      await ctx.accessEvents.sessionsEnded(c.get("principal").subject, [sessionId]);
    return c.body(null, 204);
  });

  return router;
}
