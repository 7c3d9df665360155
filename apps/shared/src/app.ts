import { createRoute, type Hook, OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { requestId } from "hono/request-id";
import { matchedRoutes } from "hono/route";
import { withDeadline } from "./deadline.ts";
import { renderDocsPage } from "./docs-page.ts";
import { errorFields, type Logger } from "./logger.ts";
import { createServiceMetrics, type ServiceMetrics } from "./metrics.ts";
import { ApiError, type FieldProblem, problemBody, problemResponse, toProblem } from "./problem.ts";
import { ProblemSchema } from "./schemas.ts";
import type { Principal } from "./token-verifier.ts";

export interface AppVariables {
  requestId: string;
  logger: Logger;
  metrics: ServiceMetrics;
  /** Set by requireAuth: who the bearer token says the caller is. */
  principal: Principal;
}
export type AppEnv = { Variables: AppVariables };
export type ServiceRouter = OpenAPIHono<AppEnv>;

/**
 * A readiness failure whose message is safe to show in the `/readyz` body (it names a cause and a runbook step,
 * never a secret); any other error shows as "unavailable" there and in full only in the log.
 */
export class ReadinessFailure extends Error {
  override name = "ReadinessFailure";
}

/** A dependency `/readyz` checks; `check` rejects (or times out) when the dependency is unusable. */
export interface ReadinessCheck {
  name: string;
  check: () => Promise<unknown>;
}

export interface CreateAppOptions {
  service: string;
  version?: string;
  description?: string;
  logger: Logger;
  metrics?: ServiceMetrics;
  readiness?: ReadinessCheck[];
  /** Largest request body accepted, in bytes (default 64 KiB); larger ones get 413. */
  bodyLimitBytes?: number;
  /** Per-check timeout of `/readyz` (default 2 s). */
  readinessTimeoutMs?: number;
}

export interface ServiceApp {
  app: ServiceRouter;
  metrics: ServiceMetrics;
  logger: Logger;
  /** Graceful shutdown flips this; `/readyz` then answers 503 so the load balancer stops sending traffic. */
  lifecycle: { draining: boolean };
}

function fieldPath(path: readonly PropertyKey[], target: string): string {
  return path.length === 0 ? target : path.map(String).join(".");
}

/** The validation hook every router shares: a failed schema becomes a 422 problem naming each field. */
export const validationHook: Hook<unknown, AppEnv, string, undefined> = (result) => {
  if (result.success) return;
  const target = result.target === "json" ? "body" : result.target;
  const errors: FieldProblem[] = result.error.issues.map((issue) => ({
    field: fieldPath(issue.path, target),
    message: issue.message,
  }));
  const detail = `invalid ${target}: ${errors.map((e) => `${e.field}: ${e.message}`).join("; ")}`;
  throw new ApiError(422, "validation_failed", detail, { errors });
};

/** A router for one resource, mounted by the service with `app.route(...)`. */
export function createRouter<E extends AppEnv = AppEnv>(): OpenAPIHono<E> {
  return new OpenAPIHono<E>({
    defaultHook: validationHook as unknown as Hook<unknown, E, string, undefined>,
  });
}

function declaresBody(c: Context): boolean {
  const length = c.req.header("content-length");
  if (length !== undefined) return length.trim() !== "0";
  return c.req.header("transfer-encoding") !== undefined;
}

/**
 * An answer given before the request body was read (a 413, a 401 ahead of the JSON, a 404 for a POST) leaves
 * the rest of the body on the socket. The Node adapter drains it only for a short while before dropping the
 * socket, so a keep-alive client would send its next request into a closing connection. Such answers say
 * `Connection: close` instead: the client opens a fresh connection for the next request.
 */
const closeUnreadBodies: MiddlewareHandler<AppEnv> = async (c, next) => {
  await next();
  if (!declaresBody(c)) return;
  if (c.res.status === 413 || !c.req.raw.bodyUsed) c.res.headers.set("connection", "close");
};

/** The route pattern that answered (never the raw path, so metric labels stay bounded). */
function routeLabel(c: Context): string {
  const routes = matchedRoutes(c).filter((r) => r.method !== "ALL");
  return routes.at(-1)?.path ?? "unmatched";
}

const StatusSchema = z.object({ status: z.string(), checks: z.record(z.string(), z.string()).optional() });

const operationsRoutes = {
  healthz: createRoute({
    method: "get",
    path: "/healthz",
    tags: ["operations"],
    summary: "Liveness: the process is up",
    responses: { 200: { description: "alive", content: { "application/json": { schema: StatusSchema } } } },
  }),
  readyz: createRoute({
    method: "get",
    path: "/readyz",
    tags: ["operations"],
    summary: "Readiness: every dependency answers and the process is not draining",
    responses: {
      200: { description: "ready", content: { "application/json": { schema: StatusSchema } } },
      503: { description: "not ready", content: { "application/json": { schema: StatusSchema } } },
    },
  }),
  metrics: createRoute({
    method: "get",
    path: "/metrics",
    tags: ["operations"],
    summary: "Prometheus metrics",
    responses: {
      200: { description: "text exposition format", content: { "text/plain": { schema: z.string() } } },
    },
  }),
  openapi: createRoute({
    method: "get",
    path: "/openapi.json",
    tags: ["operations"],
    summary: "This OpenAPI document",
    responses: {
      200: {
        description: "OpenAPI 3.0 document",
        content: { "application/json": { schema: z.record(z.string(), z.unknown()) } },
      },
    },
  }),
  docs: createRoute({
    method: "get",
    path: "/docs",
    tags: ["operations"],
    summary: "A readable page of this API",
    responses: { 200: { description: "HTML page", content: { "text/html": { schema: z.string() } } } },
  }),
};

/**
 * The Hono app every service starts from: request ids, one JSON log line per request, the gomeet_http_*
 * metrics, a body-size limit, problem+json for every error, and the operations routes (`/healthz`, `/readyz`,
 * `/metrics`, `/openapi.json`, `/docs`). Services mount their resource routers on `app`.
 */
export function createApp(options: CreateAppOptions): ServiceApp {
  const metrics = options.metrics ?? createServiceMetrics(options.service);
  const logger = options.logger;
  const lifecycle = { draining: false };
  const readinessTimeoutMs = options.readinessTimeoutMs ?? 2_000;
  const app = createRouter();

  app.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT",
  });
  app.openAPIRegistry.register("Problem", ProblemSchema);

  app.use(requestId());
  app.use(async (c, next) => {
    const started = performance.now();
    const log = logger.child({ requestId: c.get("requestId") });
    c.set("logger", log);
    c.set("metrics", metrics);
    await next();
    const route = routeLabel(c);
    const status = c.res.status;
    const seconds = (performance.now() - started) / 1000;
    metrics.httpRequests.inc({ method: c.req.method, route, status: String(status) });
    metrics.httpDuration.observe({ method: c.req.method, route }, seconds);
    log.info("request", {
      method: c.req.method,
      route,
      path: c.req.path,
      status,
      durationMs: Math.round(seconds * 10_000) / 10,
    });
  });
  app.use(closeUnreadBodies);
  app.use(
    bodyLimit({
      maxSize: options.bodyLimitBytes ?? 64 * 1024,
      onError: () => {
        throw new ApiError(
          413,
          "body_too_large",
          `request body exceeds ${options.bodyLimitBytes ?? 64 * 1024} bytes`,
        );
      },
    }),
  );

  app.notFound((c) =>
    problemResponse(
      c,
      problemBody(404, "not_found", `no route for ${c.req.method} ${c.req.path}`, {
        requestId: c.get("requestId"),
      }),
    ),
  );
  app.onError((error, c) => {
    const { body, headers, internal } = toProblem(error, c.get("requestId"));
    if (internal) (c.get("logger") ?? logger).error("unhandled error", errorFields(error));
    return problemResponse(c, body, headers);
  });

  app.openapi(operationsRoutes.healthz, (c) => c.json({ status: "ok" }, 200));
  app.openapi(operationsRoutes.readyz, async (c) => {
    if (lifecycle.draining) return c.json({ status: "draining" }, 503);
    const checks: Record<string, string> = {};
    let ready = true;
    await Promise.all(
      (options.readiness ?? []).map(async ({ name, check }) => {
        try {
          await withDeadline(
            check(),
            readinessTimeoutMs,
            `${name} did not answer within ${readinessTimeoutMs} ms`,
          );
          checks[name] = "ok";
        } catch (error) {
          ready = false;
          checks[name] = error instanceof ReadinessFailure ? `unavailable: ${error.message}` : "unavailable";
          c.get("logger").warn("readiness check failed", { check: name, ...errorFields(error) });
        }
      }),
    );
    return c.json({ status: ready ? "ok" : "unavailable", checks }, ready ? 200 : 503);
  });
  app.openapi(operationsRoutes.metrics, async (c) =>
    c.text(await metrics.registry.metrics(), 200, { "content-type": metrics.registry.contentType }),
  );
  const documentConfig = {
    openapi: "3.0.3",
    info: {
      title: `GoMeet ${options.service}`,
      version: options.version ?? "0.1.0",
      description: options.description,
    },
  };
  app.openapi(operationsRoutes.openapi, (c) => c.json(app.getOpenAPIDocument(documentConfig), 200));
  app.openapi(operationsRoutes.docs, (c) =>
    c.html(renderDocsPage(app.getOpenAPIDocument(documentConfig)), 200),
  );

  return { app, metrics, logger, lifecycle };
}
