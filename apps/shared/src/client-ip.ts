import { getConnInfo } from "@hono/node-server/conninfo";
import type { Context } from "hono";

/**
 * The client's address for rate limiting and session records. With `trustedProxyHops` = n, the n-th entry
 * from the right of X-Forwarded-For is used (the one the outermost trusted proxy saw); with 0 the header is
 * ignored, since any client can send it.
 */
export function clientAddress(c: Context, trustedProxyHops: number): string {
  if (trustedProxyHops > 0) {
    const forwarded = (c.req.header("x-forwarded-for") ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean);
    const entry = forwarded[forwarded.length - trustedProxyHops];
    if (entry && /^[0-9a-fA-F:.]{2,45}$/.test(entry)) return entry;
  }
  try {
    return getConnInfo(c).remote.address ?? "unknown";
  } catch {
    return "unknown";
  }
}
