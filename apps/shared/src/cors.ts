import type { MiddlewareHandler } from "hono";
import { z } from "zod";
import { ApiError } from "./problem.ts";

/**
 * Cross-origin access for the web app, which is served from its own origin (`https://meet.<domain>`) and calls
 * the APIs on `https://api.<domain>`. Exactly one origin is allowed, named by `CORS_ALLOWED_ORIGIN`.
 *
 * No credentials mode: the app sends the access token in `Authorization` and the refresh token in the body of
 * `POST /v1/auth/refresh` (docs/services/auth.md), never cookies, so `Access-Control-Allow-Credentials` is not
 * sent and a page on another origin gains nothing from a user's browser. Requests that change state from another
 * origin are refused outright rather than executed with an unreadable answer.
 */
export interface CorsOptions {
  /** The one origin allowed, e.g. `https://meet.gomeet.app`; undefined turns cross-origin access off. */
  allowedOrigin: string | undefined;
}

/** Methods the APIs route; a preflight for anything else is refused. */
export const CORS_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"] as const;
/** Request headers the app sends beyond the CORS-safelisted ones. */
export const CORS_REQUEST_HEADERS = ["authorization", "content-type"] as const;
/** Response headers the app reads: the waiting room's poll interval, created resources, request ids for support. */
export const CORS_EXPOSED_HEADERS = ["Retry-After", "Location", "X-Request-Id"] as const;
/** How long a browser may reuse a preflight answer (Chromium caps it at 2 h). */
export const CORS_MAX_AGE_SECONDS = 600;

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** `CORS_ALLOWED_ORIGIN`: optional; when set, an origin exactly as a browser sends it (scheme, host, port). */
export const corsOriginVar = z
  .string()
  .optional()
  .refine(
    (value) => {
      if (value === undefined) return true;
      try {
        const url = new URL(value);
        return (url.protocol === "https:" || url.protocol === "http:") && url.origin === value;
      } catch {
        return false;
      }
    },
    {
      error: (issue) =>
        `expected an origin such as https://meet.example.com (scheme and host, no path or trailing slash), got ${JSON.stringify(issue.input)}`,
    },
  );

function refused(detail: string): never {
  throw new ApiError(403, "cors_refused", detail);
}

/**
 * The middleware. Preflights from the allowed origin are answered here (204); answers to its requests carry
 * `Access-Control-Allow-Origin`. Another origin's preflight and state-changing requests get 403; its other
 * requests get no CORS headers, so the browser withholds the answer. Requests without `Origin` (servers, tools)
 * and WebSocket upgrades (chat checks their Origin itself) pass untouched.
 */
export function cors(options: CorsOptions): MiddlewareHandler {
  const allowed = options.allowedOrigin;
  return async (c, next) => {
    const origin = c.req.header("origin");
    if (allowed === undefined || origin === undefined || c.req.header("upgrade") !== undefined) {
      return await next();
    }
    const preflight =
      c.req.method === "OPTIONS" && c.req.header("access-control-request-method") !== undefined;
    if (origin !== allowed) {
      c.header("Vary", "Origin", { append: true });
      if (preflight || !SAFE_METHODS.has(c.req.method)) {
        refused(`origin ${JSON.stringify(origin)} is not allowed to call this API (only ${allowed})`);
      }
      return await next();
    }
    if (preflight) {
      const method = (c.req.header("access-control-request-method") ?? "").toUpperCase();
      if (!(CORS_METHODS as readonly string[]).includes(method)) {
        refused(
          `method ${JSON.stringify(method)} is not allowed (expected one of ${CORS_METHODS.join(", ")})`,
        );
      }
      const requested = (c.req.header("access-control-request-headers") ?? "")
        .split(",")
        .map((h) => h.trim().toLowerCase())
        .filter((h) => h !== "");
      const unknown = requested.filter((h) => !(CORS_REQUEST_HEADERS as readonly string[]).includes(h));
      if (unknown.length > 0) {
        refused(
          `request header ${JSON.stringify(unknown[0])} is not allowed (expected only ${CORS_REQUEST_HEADERS.join(", ")})`,
        );
      }
      return c.body(null, 204, {
        "Access-Control-Allow-Origin": allowed,
        "Access-Control-Allow-Methods": CORS_METHODS.join(", "),
        "Access-Control-Allow-Headers": CORS_REQUEST_HEADERS.join(", "),
        "Access-Control-Max-Age": String(CORS_MAX_AGE_SECONDS),
        Vary: "Origin, Access-Control-Request-Method, Access-Control-Request-Headers",
      });
    }
    await next();
    c.res.headers.set("Access-Control-Allow-Origin", allowed);
    c.res.headers.set("Access-Control-Expose-Headers", CORS_EXPOSED_HEADERS.join(", "));
    c.res.headers.append("Vary", "Origin");
  };
}
