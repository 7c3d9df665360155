import { Counter, collectDefaultMetrics, Histogram, Registry } from "prom-client";

/** Buckets of gomeet_http_request_duration_seconds, as docs/metrics.md fixes them (0.005 … 10 s, with 0.1). */
export const HTTP_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * One prom-client registry per app, every series labelled `service`. Holds the `gomeet_*` metrics the kit
 * itself updates (names and labels from docs/metrics.md); services add their own to `registry`.
 */
export interface ServiceMetrics {
  registry: Registry;
  httpRequests: Counter<"method" | "route" | "status">;
  httpDuration: Histogram<"method" | "route">;
  rateLimited: Counter<"limiter">;
  authDenied: Counter<"status">;
}

export function createServiceMetrics(service: string): ServiceMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    httpRequests: new Counter({
      name: "gomeet_http_requests_total",
      help: "HTTP requests answered, by route pattern and status.",
      labelNames: ["method", "route", "status"],
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: "gomeet_http_request_duration_seconds",
      help: "HTTP request latency in seconds, by route pattern.",
      labelNames: ["method", "route"],
      buckets: HTTP_DURATION_BUCKETS,
      registers: [registry],
    }),
    rateLimited: new Counter({
      name: "gomeet_rate_limited_total",
      help: "Requests refused with 429 by a rate limiter.",
      labelNames: ["limiter"],
      registers: [registry],
    }),
    authDenied: new Counter({
      name: "gomeet_auth_denied_total",
      help: "Requests refused by the token middleware (401 bad or missing token, 403 missing role).",
      labelNames: ["status"],
      registers: [registry],
    }),
  };
}
