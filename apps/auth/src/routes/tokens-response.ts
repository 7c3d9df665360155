import type { AuthContext } from "./context.ts";

/** The body of login and refresh answers. */
export async function tokenPair(
  ctx: AuthContext,
  user: { id: string; roles: string[]; email: string },
  sessionId: string,
  refreshToken: string,
) {
  const access = await ctx.tokens.accessToken(user, sessionId);
  return {
    tokenType: "Bearer" as const,
    accessToken: access.token,
    expiresIn: access.expiresIn,
    refreshToken,
    refreshExpiresIn: ctx.config.refreshIdleSeconds,
    sessionId,
  };
}

/** RFC 6749 §5.1: responses carrying tokens must not be cached. */
export const NO_STORE = { "cache-control": "no-store" } as const;
