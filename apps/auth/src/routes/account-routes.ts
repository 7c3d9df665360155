import { createRoute, z } from "@hono/zod-openapi";
import { ApiError, createRouter, problemResponseSpec } from "../../../shared/src/index.ts";
import {
  ChangePasswordBody,
  ChatTicketBody,
  ChatTicketSchema,
  IdParams,
  SessionSchema,
  UpdateProfileBody,
  UserSchema,
} from "../schemas.ts";
import { listOpenSessions, revokeSession, revokeUserSessions } from "../sessions.ts";
import { replacePasswordHash, updateDisplayName, userView } from "../users.ts";
import { type AuthContext, type AuthEnv, type AuthRouter, bearerSecurity, jsonBody } from "./context.ts";
import { NO_STORE } from "./tokens-response.ts";

const unauthorized = problemResponseSpec("no valid access token, or its session has ended");

export function accountRoutes(ctx: AuthContext): AuthRouter {
  const router = createRouter<AuthEnv>();
  const guarded = { security: bearerSecurity, middleware: [ctx.requireSession] };

  router.openapi(
    createRoute({
      method: "get",
      path: "/v1/users/me",
      tags: ["account"],
      summary: "The signed-in user's profile",
      ...guarded,
      responses: {
        200: { description: "profile", content: { "application/json": { schema: UserSchema } } },
        401: unauthorized,
      },
    }),
    (c) => c.json(userView(c.get("account")), 200),
  );

  router.openapi(
    createRoute({
      method: "patch",
      path: "/v1/users/me",
      tags: ["account"],
      summary: "Change the display name",
      ...guarded,
      request: { body: jsonBody(UpdateProfileBody) },
      responses: {
        200: { description: "updated profile", content: { "application/json": { schema: UserSchema } } },
        401: unauthorized,
        422: problemResponseSpec("a field is invalid"),
      },
    }),
    async (c) => {
      const updated = await updateDisplayName(ctx.sql, c.get("account").id, c.req.valid("json").displayName);
      if (!updated) throw new ApiError(401, "session_ended", "the account no longer exists");
      return c.json(userView(updated), 200);
    },
  );

  router.openapi(
    createRoute({
      method: "post",
      path: "/v1/users/me/password",
      tags: ["account"],
      summary: "Change the password; every other session of the user ends",
      ...guarded,
      request: { body: jsonBody(ChangePasswordBody) },
      responses: {
        204: { description: "changed" },
        401: unauthorized,
        403: problemResponseSpec("currentPassword is wrong"),
        422: problemResponseSpec("a field is invalid"),
        429: problemResponseSpec("too many attempts for this account"),
        503: problemResponseSpec(
          "every password-hashing slot and queue place is taken (password_hashing_busy); retry after Retry-After",
        ),
      },
    }),
    async (c) => {
      const account = c.get("account");
      const body = c.req.valid("json");
      ctx.hashing.refuseIfFull();
      await ctx.limiters.loginAccount.enforce(account.email);
      const wrongPassword = () =>
        new ApiError(403, "invalid_credentials", "currentPassword does not match the account's password", {
          errors: [{ field: "currentPassword", message: "does not match the current password" }],
        });
      if (!(await ctx.hasher.verify(account.passwordHash, body.currentPassword))) throw wrongPassword();
      const newHash = await ctx.hasher.hash(body.newPassword);
      // The change and the end of the other sessions commit together, and only if no other change came first.
      const ended = await ctx.sql.begin(async (tx) => {
        if (!(await replacePasswordHash(tx, account.id, account.passwordHash, newHash)))
          throw wrongPassword();
        return await revokeUserSessions(tx, account.id, "password_changed", c.get("principal").sessionId);
      });
      await ctx.accessEvents.sessionsEnded(account.id, ended);
      return c.body(null, 204);
    },
  );

  router.openapi(
    createRoute({
      method: "get",
      path: "/v1/sessions",
      tags: ["sessions"],
      summary: "The user's open sessions (signed-in devices)",
      ...guarded,
      responses: {
        200: {
          description: "open sessions",
          content: { "application/json": { schema: z.object({ sessions: z.array(SessionSchema) }) } },
        },
        401: unauthorized,
      },
    }),
    async (c) => {
      const current = c.get("principal").sessionId;
      const sessions = (await listOpenSessions(ctx.sql, c.get("account").id)).map((s) => ({
        id: s.id,
        current: s.id === current,
        createdAt: s.createdAt.toISOString(),
        lastRefreshedAt: s.lastRefreshedAt.toISOString(),
        expiresAt: new Date(Math.min(s.idleExpiresAt.getTime(), s.absoluteExpiresAt.getTime())).toISOString(),
        userAgent: s.userAgent,
        ip: s.ip,
      }));
      return c.json({ sessions }, 200);
    },
  );

  router.openapi(
    createRoute({
      method: "delete",
      path: "/v1/sessions/{id}",
      tags: ["sessions"],
      summary: "End one of the user's sessions (its refresh token stops working)",
      ...guarded,
      request: { params: IdParams },
      responses: {
        204: { description: "ended" },
        401: unauthorized,
        404: problemResponseSpec("no open session with this id belongs to the user"),
        422: problemResponseSpec("id is not a UUID"),
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      if (!(await revokeSession(ctx.sql, id, "ended_by_user", c.get("account").id))) {
        throw new ApiError(404, "session_not_found", `no open session ${id} for this user`);
      }
      await ctx.accessEvents.sessionsEnded(c.get("account").id, [id]);
      return c.body(null, 204);
    },
  );

  router.openapi(
    createRoute({
      method: "post",
      path: "/v1/chat-tickets",
      tags: ["chat"],
      summary: "A short-lived ticket for one meeting's chat WebSocket handshake (audience chat)",
      ...guarded,
      request: { body: jsonBody(ChatTicketBody) },
      responses: {
        201: { description: "ticket", content: { "application/json": { schema: ChatTicketSchema } } },
        401: unauthorized,
        422: problemResponseSpec("a field is invalid"),
      },
    }),
    async (c) => {
      const account = c.get("account");
      const issued = await ctx.tokens.chatTicket(
        account,
        c.req.valid("json").meetingId,
        c.get("principal").sessionId,
      );
      return c.json({ ticket: issued.token, expiresIn: issued.expiresIn }, 201, NO_STORE);
    },
  );

  return router;
}
