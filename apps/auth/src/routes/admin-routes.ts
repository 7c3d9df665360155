import { createRoute } from "@hono/zod-openapi";
import { ApiError, createRouter, problemResponseSpec } from "../../../shared/src/index.ts";
import { IdParams, ListUsersQuery, SetRolesBody, UserPageSchema, UserSchema } from "../schemas.ts";
import { revokeUserSessions } from "../sessions.ts";
import { findUserById, listUsers, setDisabled, setRoles, userView } from "../users.ts";
import { type AuthContext, type AuthEnv, type AuthRouter, bearerSecurity, jsonBody } from "./context.ts";

const denied = {
  401: problemResponseSpec("no valid access token, or its session has ended"),
  403: problemResponseSpec("the caller is not an admin"),
};
const userResponse = { description: "the user", content: { "application/json": { schema: UserSchema } } };

/** Keyset cursor: base64url of "<createdAt ISO>|<id>" of the last user on the previous page. */
function encodeCursor(user: { createdAt: Date; id: string }): string {
  return Buffer.from(`${user.createdAt.toISOString()}|${user.id}`).toString("base64url");
}

function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  const [iso, id] = Buffer.from(cursor, "base64url").toString("utf8").split("|");
  const createdAt = new Date(iso ?? "");
  if (!id || !/^[0-9a-f-]{36}$/.test(id) || Number.isNaN(createdAt.getTime())) {
    throw new ApiError(422, "validation_failed", "invalid query: cursor: not a cursor this API returned", {
      errors: [{ field: "cursor", message: "not a cursor this API returned" }],
    });
  }
  return { createdAt, id };
}

const userNotFound = (id: string) => new ApiError(404, "user_not_found", `no user ${id}`);

export function adminRoutes(ctx: AuthContext): AuthRouter {
  const router = createRouter<AuthEnv>();
  const guarded = {
    tags: ["admin"],
    security: bearerSecurity,
    middleware: [ctx.requireSession, ctx.requireAdmin],
  };

  router.openapi(
    createRoute({
      method: "get",
      path: "/v1/admin/users",
      summary: "List users in creation order, a page at a time",
      ...guarded,
      request: { query: ListUsersQuery },
      responses: {
        200: { description: "a page of users", content: { "application/json": { schema: UserPageSchema } } },
        ...denied,
        422: problemResponseSpec("limit or cursor is invalid"),
      },
    }),
    async (c) => {
      const { limit, cursor } = c.req.valid("query");
      const users = await listUsers(ctx.sql, limit, cursor ? decodeCursor(cursor) : undefined);
      const last = users.at(-1);
      return c.json(
        {
          users: users.map(userView),
          nextCursor: users.length === limit && last ? encodeCursor(last) : null,
        },
        200,
      );
    },
  );

  router.openapi(
    createRoute({
      method: "post",
      path: "/v1/admin/users/{id}/disable",
      summary: "Disable a user: every session ends now, access tokens lapse within their lifetime",
      ...guarded,
      request: { params: IdParams },
      responses: {
        200: userResponse,
        ...denied,
        404: problemResponseSpec("no such user"),
        409: problemResponseSpec("admins cannot disable themselves"),
        422: problemResponseSpec("id is not a UUID"),
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      if (id === c.get("account").id)
        throw new ApiError(409, "cannot_disable_self", "an admin cannot disable their own account");
      const { user, ended } = await ctx.sql.begin(async (tx) => {
        const updated = await setDisabled(tx, id, true);
        return { user: updated, ended: await revokeUserSessions(tx, id, "user_disabled") };
      });
      if (!user) throw userNotFound(id);
      await ctx.accessEvents.userDisabled(id);
      await ctx.accessEvents.sessionsEnded(id, ended);
      return c.json(userView(user), 200);
    },
  );

  router.openapi(
    createRoute({
      method: "post",
      path: "/v1/admin/users/{id}/enable",
      summary: "Enable a disabled user (they sign in again)",
      ...guarded,
      request: { params: IdParams },
      responses: {
        200: userResponse,
        ...denied,
        404: problemResponseSpec("no such user"),
        422: problemResponseSpec("id is not a UUID"),
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const user = await setDisabled(ctx.sql, id, false);
      if (!user) throw userNotFound(id);
      return c.json(userView(user), 200);
    },
  );

  router.openapi(
    createRoute({
      method: "put",
      path: "/v1/admin/users/{id}/roles",
      summary: "Replace a user's organisation roles (tokens carry the new roles from their next refresh)",
      ...guarded,
      request: { params: IdParams, body: jsonBody(SetRolesBody) },
      responses: {
        200: userResponse,
        ...denied,
        404: problemResponseSpec("no such user"),
        409: problemResponseSpec("admins cannot remove their own admin role"),
        422: problemResponseSpec("a field is invalid"),
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const { roles } = c.req.valid("json");
      if (id === c.get("account").id && !roles.includes("admin")) {
        throw new ApiError(409, "cannot_demote_self", "an admin cannot remove their own admin role");
      }
      const user = await setRoles(ctx.sql, id, roles);
      if (!user) throw userNotFound(id);
      return c.json(userView(user), 200);
    },
  );

  router.openapi(
    createRoute({
      method: "delete",
      path: "/v1/admin/users/{id}/sessions",
      summary: "End every session of a user",
      ...guarded,
      request: { params: IdParams },
      responses: {
        204: { description: "ended" },
        ...denied,
        404: problemResponseSpec("no such user"),
        422: problemResponseSpec("id is not a UUID"),
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      if (!(await findUserById(ctx.sql, id))) throw userNotFound(id);
      await ctx.accessEvents.sessionsEnded(id, await revokeUserSessions(ctx.sql, id, "ended_by_admin"));
      return c.body(null, 204);
    },
  );

  return router;
}
