import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { serve } from "@hono/node-server";
import type { ServiceApp } from "./app.ts";
import { errorFields } from "./logger.ts";

export interface RunningServer {
  port: number;
  /** Runs the same graceful shutdown a SIGTERM triggers. */
  shutdown(reason: string): Promise<void>;
}

export interface StartServerOptions {
  service: ServiceApp;
  port: number;
  host: string;
  /** How long in-flight requests may run after SIGTERM before their connections are closed. */
  drainMs: number;
  /** Closes pools and clients, after the HTTP server has drained (database, Redis, …), in order. */
  onClose?: Array<() => Promise<unknown>>;
  /** Called after shutdown completes; the entry point passes `process.exit`. */
  exit?: (code: number) => void;
}

/**
 * Serves the app and installs SIGTERM/SIGINT handling: mark draining (`/readyz` answers 503), stop accepting
 * connections, let in-flight requests finish for up to `drainMs`, close the dependencies, exit 0.
 */
export async function startServer(options: StartServerOptions): Promise<RunningServer> {
  const { service } = options;
  const server = serve({ fetch: service.app.fetch, port: options.port, hostname: options.host });
  await new Promise<void>((resolve, reject) => {
    server.once("listening", resolve);
    server.once("error", reject);
  });
  const port = (server.address() as AddressInfo).port;
  service.logger.info("listening", { port, host: options.host });

  let shuttingDown: Promise<void> | undefined;
  const shutdown = (reason: string) => {
    shuttingDown ??= (async () => {
      service.lifecycle.draining = true;
      service.logger.info("shutting down", { reason, drainMs: options.drainMs });
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Keep-alive connections that finish their request while draining become idle: close them as they do.
      const idleSweep = setInterval(() => {
        if ("closeIdleConnections" in server) server.closeIdleConnections();
      }, 50);
      const forced = setTimeout(() => {
        if ("closeAllConnections" in server) server.closeAllConnections();
      }, options.drainMs);
      await closed;
      clearInterval(idleSweep);
      clearTimeout(forced);
      for (const close of options.onClose ?? []) {
        try {
          await close();
        } catch (error) {
          service.logger.warn("error while closing a dependency", errorFields(error));
        }
      }
      service.logger.info("stopped", { reason });
      options.exit?.(0);
    })();
    return shuttingDown;
  };
  process.once("SIGTERM", () => void shutdown("SIGTERM"));
  process.once("SIGINT", () => void shutdown("SIGINT"));
  return { port, shutdown };
}

/**
 * The body of a service's `server.ts` when run as a program: starts it, and when it cannot start (bad
 * environment, unreachable key material) writes one JSON error line naming the problems — never a secret, see
 * `errorFields` — and exits 1. Does nothing when the module is imported (tests import the start function).
 */
export async function runServiceMain(
  service: string,
  moduleUrl: string,
  start: () => Promise<unknown>,
): Promise<void> {
  if (process.argv[1] !== fileURLToPath(moduleUrl)) return;
  try {
    await start();
  } catch (error) {
    process.stderr.write(
      `${JSON.stringify({ time: new Date().toISOString(), level: "error", service, msg: "failed to start", ...errorFields(error) })}\n`,
    );
    process.exit(1);
  }
}
