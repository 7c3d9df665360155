import { createRoute } from "@hono/zod-openapi";
import { createRouter } from "../../../shared/src/index.ts";
import { JwksSchema } from "../schemas.ts";
import type { AuthContext, AuthEnv, AuthRouter } from "./context.ts";

/** How long clients and caches may keep the JWKS (docs/services/auth.md, key rotation). */
export const JWKS_MAX_AGE_SECONDS = 300;

export function jwksRoutes(ctx: AuthContext): AuthRouter {
  return createRouter<AuthEnv>().openapi(
    createRoute({
      method: "get",
      path: "/.well-known/jwks.json",
      tags: ["keys"],
      summary: "Public keys that verify access tokens and chat tickets (current, upcoming and retired)",
      responses: {
        200: { description: "JSON Web Key Set", content: { "application/json": { schema: JwksSchema } } },
      },
    }),
    (c) =>
      c.json(ctx.publicJwks as { keys: Record<string, unknown>[] }, 200, {
        "cache-control": `public, max-age=${JWKS_MAX_AGE_SECONDS}`,
      }),
  );
}
