import type { MiddlewareHandler } from "hono";
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  errors,
  type JSONWebKeySet,
  type JWTPayload,
  jwtVerify,
} from "jose";
import { MAX_CLOCK_SKEW_SECONDS, type RevocationList } from "./access-revocations.ts";
import type { AppEnv } from "./app.ts";
import { ApiError } from "./problem.ts";

/** `typ` header of access tokens (RFC 9068); other token kinds use other types so one can't pass as another. */
export const ACCESS_TOKEN_TYPE = "at+jwt";
/** `typ` header and audience of the single-purpose chat WebSocket tickets auth issues. */
export const CHAT_TICKET_TYPE = "chat-ticket+jwt";
export const CHAT_TICKET_AUDIENCE = "chat";
/** Organisation-level roles carried in the `roles` claim. */
export const ROLES = ["admin", "member"] as const;
export type Role = (typeof ROLES)[number];

/** Who a verified token says the caller is. */
export interface Principal {
  subject: string;
  roles: string[];
  tokenId: string;
  /** The refresh-token family (login session) the token was issued under, when it has one. */
  sessionId: string | undefined;
  /** `iat`, epoch seconds. */
  issuedAt: number;
  expiresAt: number;
  claims: JWTPayload;
}

export interface TokenVerifierOptions {
  /** The JWKS: auth's `/.well-known/jwks.json` URL (fetched and cached) or an in-process key set. */
  jwks: URL | string | JSONWebKeySet;
  issuer: string;
  audience: string;
  /** Required `typ` header (default access tokens). */
  type?: string;
  /** Accepted `alg` values; never derived from the token (default EdDSA and ES256). */
  algorithms?: string[];
  clockToleranceSeconds?: number;
  /** How long a fetched JWKS is trusted before it is fetched again (default 10 min, jose's default). */
  jwksCacheMaxAgeMs?: number;
  /** Shortest gap between two fetches triggered by unknown kids (default 30 s, jose's default). */
  jwksCooldownMs?: number;
  /** Session ends and account disables published by auth; a token they match is refused (401). */
  revocations?: RevocationList;
}

export interface TokenVerifier {
  /**
   * Verifies signature, algorithm, type, issuer, audience, expiry, not-before, an `iat` not more than
   * MAX_CLOCK_SKEW_SECONDS ahead, and the revocations; throws a 401 ApiError.
   */
  verify(token: string): Promise<Principal>;
}

function describeFailure(error: unknown): { code: string; detail: string } {
  if (error instanceof errors.JWTExpired) return { code: "token_expired", detail: "the token has expired" };
  if (error instanceof errors.JWTClaimValidationFailed)
    return { code: "invalid_token", detail: `token rejected: ${error.message}` };
  if (error instanceof errors.JOSEAlgNotAllowed)
    return { code: "invalid_token", detail: "token rejected: signing algorithm not allowed" };
  if (error instanceof errors.JWKSNoMatchingKey)
    return { code: "invalid_token", detail: "token rejected: unknown signing key" };
  if (error instanceof errors.JWKSTimeout || (error instanceof Error && error.name === "TypeError")) {
    return { code: "invalid_token", detail: "token rejected: the signing keys could not be loaded" };
  }
  return { code: "invalid_token", detail: "token rejected: malformed or bad signature" };
}

export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  const keys =
    typeof options.jwks === "string" || options.jwks instanceof URL
      ? createRemoteJWKSet(new URL(options.jwks), {
          cacheMaxAge: options.jwksCacheMaxAgeMs ?? 600_000,
          cooldownDuration: options.jwksCooldownMs ?? 30_000,
        })
      : createLocalJWKSet(options.jwks);
  const type = options.type ?? ACCESS_TOKEN_TYPE;
  const algorithms = options.algorithms ?? ["EdDSA", "ES256"];
  return {
    async verify(token) {
      try {
        const { payload } = await jwtVerify(token, keys, {
          algorithms,
          issuer: options.issuer,
          audience: options.audience,
          typ: type,
          clockTolerance: options.clockToleranceSeconds ?? 5,
          requiredClaims: ["sub", "exp", "iat", "nbf", "jti"],
        });
        const issuedAt = payload.iat as number;
        const ahead = issuedAt - Math.floor(Date.now() / 1000);
        if (ahead > MAX_CLOCK_SKEW_SECONDS) {
          throw new ApiError(
            401,
            "invalid_token",
            `token rejected: iat lies ${ahead} s in the future (at most ${MAX_CLOCK_SKEW_SECONDS} s of clock skew is accepted)`,
            { headers: { "www-authenticate": `Bearer error="invalid_token"` } },
          );
        }
        const roles = Array.isArray(payload.roles)
          ? payload.roles.filter((r): r is string => typeof r === "string")
          : [];
        const principal: Principal = {
          subject: payload.sub as string,
          roles,
          tokenId: payload.jti as string,
          sessionId: typeof payload.sid === "string" ? payload.sid : undefined,
          issuedAt,
          expiresAt: payload.exp as number,
          claims: payload,
        };
        const revoked = options.revocations?.check(principal);
        if (revoked) {
          throw new ApiError(401, revoked.code, revoked.detail, {
            headers: { "www-authenticate": `Bearer error="invalid_token"` },
          });
        }
        return principal;
      } catch (error) {
        if (error instanceof ApiError) throw error;
        const { code, detail } = describeFailure(error);
        throw new ApiError(401, code, detail, {
          headers: { "www-authenticate": `Bearer error="invalid_token"` },
        });
      }
    },
  };
}

function denied(c: Parameters<MiddlewareHandler<AppEnv>>[0], error: ApiError): never {
  c.get("metrics")?.authDenied.inc({ status: String(error.status) });
  throw error;
}

/** Reads `Authorization: Bearer <token>`, verifies it and sets `c.var.principal`; 401 otherwise. */
export function requireAuth(verifier: TokenVerifier): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const header = c.req.header("authorization") ?? "";
    const match = /^Bearer ([A-Za-z0-9_\-.~+/]+=*)$/.exec(header);
    if (!match?.[1]) {
      denied(
        c,
        new ApiError(401, "unauthenticated", "an access token is required (Authorization: Bearer <token>)", {
          headers: { "www-authenticate": "Bearer" },
        }),
      );
    }
    try {
      c.set("principal", await verifier.verify(match[1]));
    } catch (error) {
      if (error instanceof ApiError) denied(c, error);
      throw error;
    }
    await next();
  };
}

/** True when the principal holds at least one of `roles`. */
export function hasRole(principal: Pick<Principal, "roles">, ...roles: string[]): boolean {
  return roles.some((role) => principal.roles.includes(role));
}

/** After requireAuth: 403 unless the caller holds one of `roles`. */
export function requireRole(...roles: Role[]): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (!hasRole(c.get("principal"), ...roles)) {
      denied(c, new ApiError(403, "forbidden", `this action needs the role ${roles.join(" or ")}`));
    }
    await next();
  };
}
