import { type ChildProcess, spawn } from "node:child_process";
import { resolve } from "node:path";
import { entryCommand } from "../../../components/apps/workload-spec.ts";
import { spawnServer, waitFor } from "../../support/processes.ts";

export const REPO_ROOT = resolve(import.meta.dirname, "../../..");

export type ControlPlaneService = "auth" | "meetings" | "chat";

/** How a service process ended: `code` 0 and no `signal` is a graceful exit. */
export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ServiceProcess {
  service: ControlPlaneService;
  baseUrl: string;
  child: ChildProcess;
  output(): string;
  /** SIGTERM, then wait up to `graceMs`; SIGKILL only if it did not stop by then (reported as the signal). */
  stop(graceMs: number): Promise<ProcessExit>;
}

/**
 * The image's entry points (components/apps/workload-spec.ts `entryCommand`): node itself with tsx as a
 * loader, so the SIGTERM the test sends reaches the server and not a wrapper.
 */
function nodeEntry(service: ControlPlaneService, entry: "server" | "migrate"): string[] {
  const [, ...args] = entryCommand(service, entry);
  return args;
}

/** Runs `apps/<service>/src/migrate.ts` to its end, as the stack's migration Job does; throws unless it exits 0. */
export async function runMigrations(service: ControlPlaneService, env: NodeJS.ProcessEnv): Promise<void> {
  const chunks: string[] = [];
  const child = spawn(process.execPath, nodeEntry(service, "migrate"), {
    cwd: REPO_ROOT,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout.on("data", (d: Buffer) => chunks.push(d.toString()));
  child.stderr.on("data", (d: Buffer) => chunks.push(d.toString()));
  const code = await new Promise<number | null>((done, fail) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      fail(new Error(`${service} migrations did not finish within 60 s:\n${chunks.join("")}`));
    }, 60_000);
    child.once("exit", (exitCode) => {
      clearTimeout(timer);
      done(exitCode);
    });
  });
  if (code !== 0) throw new Error(`${service} migrations exited ${code}:\n${chunks.join("")}`);
}

/** Starts `apps/<service>/src/server.ts` on 127.0.0.1:`port` and waits until `/readyz` answers 200. */
export async function startService(
  service: ControlPlaneService,
  port: number,
  env: NodeJS.ProcessEnv,
): Promise<ServiceProcess> {
  const spawned = spawnServer(process.execPath, nodeEntry(service, "server"), { cwd: REPO_ROOT, env });
  const baseUrl = `http://127.0.0.1:${port}`;
  const exited = new Promise<ProcessExit>((done) =>
    spawned.child.once("exit", (code, signal) => done({ code, signal })),
  );
  const running: ServiceProcess = {
    service,
    baseUrl,
    child: spawned.child,
    output: spawned.output,
    async stop(graceMs) {
      if (spawned.child.exitCode === null && spawned.child.signalCode === null) {
        spawned.child.kill("SIGTERM");
      }
      const timer = setTimeout(() => spawned.child.kill("SIGKILL"), graceMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
  try {
    await waitFor(
      `${service} to answer /readyz with 200`,
      async () => {
        if (spawned.child.exitCode !== null) {
          throw new Error(`${service} exited ${spawned.child.exitCode}:\n${spawned.output()}`);
        }
        return (await fetch(`${baseUrl}/readyz`)).status === 200;
      },
      30_000,
    );
  } catch (error) {
    await running.stop(5_000);
    throw error;
  }
  return running;
}
