import { spawn } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";

/**
 * The one doorway to the `pulumi` CLI. The CLI is not installable on our development machines
 * (docs/sources.md#pulumi-cli-installation: no Debian package; the npm `pulumi` wrapper downloads on first run), so its
 * absence is an expected state that gets a precise message, not a stack trace.
 */
export class PreflightError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PreflightError";
  }
}

export class PulumiCommandError extends Error {
  constructor(
    readonly args: readonly string[],
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    super(
      `pulumi ${args.join(" ")} failed with exit code ${exitCode ?? "signal"}${stderr ? `:\n${stderr.trim()}` : ""}`,
    );
    this.name = "PulumiCommandError";
  }
}

export function findOnPath(name: string, path = process.env.PATH ?? ""): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

export interface PulumiRunner {
  /** Runs a command whose output is data (JSON); returns stdout. */
  capture(args: readonly string[]): Promise<string>;
  /** Runs a long operation (up, destroy) with its progress shown on our stdout/stderr. */
  stream(args: readonly string[]): Promise<void>;
}

export function pulumiRunner(executable: string, cwd: string, env: NodeJS.ProcessEnv): PulumiRunner {
  const run = (args: readonly string[], show: boolean) =>
    new Promise<string>((resolve, reject) => {
      const child = spawn(executable, args, {
        cwd,
        env,
        stdio: ["ignore", show ? "inherit" : "pipe", show ? "inherit" : "pipe"],
      });
      let stdout = "";
      let stderr = "";
      child.stdout?.on("data", (chunk: Buffer) => {
        stdout += chunk.toString("utf8");
      });
      child.stderr?.on("data", (chunk: Buffer) => {
        stderr += chunk.toString("utf8");
      });
      child.on("error", reject);
      child.on("close", (code) => {
        if (code === 0) resolve(stdout);
        else reject(new PulumiCommandError(args, code, stderr));
      });
    });
  return {
    capture: (args) => run(args, false),
    stream: async (args) => {
      await run(args, true);
    },
  };
}

/**
 * Checks everything an operation needs before the first change: the CLI on PATH, a state backend (Pulumi Cloud
 * through PULUMI_ACCESS_TOKEN, a PULUMI_BACKEND_URL, or a stored `pulumi login`) and the DigitalOcean token the
 * provider reads. Names what is missing and never prints a credential's value.
 */
export async function preflight(env: NodeJS.ProcessEnv, cwd: string): Promise<PulumiRunner> {
  const executable = findOnPath("pulumi", env.PATH);
  if (!executable) {
    throw new PreflightError(
      "the pulumi CLI was not found on PATH: install it (https://www.pulumi.com/docs/iac/download-install/, " +
        "or the pulumi/actions step in CI) and run again",
    );
  }
  const missing: string[] = [];
  if (!env.DIGITALOCEAN_TOKEN) {
    missing.push("DIGITALOCEAN_TOKEN is not set (the DigitalOcean provider needs an API token)");
  }
  const runner = pulumiRunner(executable, cwd, env);
  if (!env.PULUMI_ACCESS_TOKEN && !env.PULUMI_BACKEND_URL) {
    try {
      await runner.capture(["whoami", "--non-interactive"]);
    } catch {
      missing.push(
        "no Pulumi backend: set PULUMI_ACCESS_TOKEN (Pulumi Cloud) or PULUMI_BACKEND_URL, or run " +
          "`pulumi login s3://<state-bucket>?endpoint=sgp1.digitaloceanspaces.com`",
      );
    }
  }
  if (missing.length > 0) {
    throw new PreflightError(`missing credentials:\n  ${missing.join("\n  ")}`);
  }
  return runner;
}
