import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_WEB_BUILD_DIR } from "../web-build-input.ts";

export interface WebBuildStep {
  /** The project root (where Pulumi.yaml and apps/web are). */
  root: string;
  /** The build to run when apps/web/dist has no index.html; defaults to `npm run build:web`'s Vite build. */
  command?: readonly [string, ...string[]];
  /** Progress lines (the plan writes them to standard error). */
  log: (line: string) => void;
}

/**
 * Builds the web app before an offline plan when the build is missing, so `npm run plan` on a fresh checkout shows
 * the app's files in the CDN bucket as `pulumi preview` would after CI's build step. Returns whether it built.
 */
export function ensureWebBuild(step: WebBuildStep): boolean {
  const index = join(step.root, DEFAULT_WEB_BUILD_DIR, "index.html");
  if (existsSync(index)) return false;
  const command = step.command ?? [
    process.execPath,
    join(step.root, "node_modules/vite/bin/vite.js"),
    "build",
    "--config",
    "apps/web/vite.config.ts",
    "--logLevel",
    "warn",
  ];
  step.log(`${DEFAULT_WEB_BUILD_DIR} is missing: building the web app first (npm run build:web)…`);
  const started = Date.now();
  const [program, ...args] = command;
  const result = spawnSync(program, args, {
    cwd: step.root,
    stdio: ["ignore", "inherit", "inherit"],
  });
  if (result.error) throw new Error(`web app build could not start (${program}): ${result.error.message}`);
  if (result.status !== 0) {
    throw new Error(
      `web app build failed (exit ${result.status ?? result.signal}); run \`npm run build:web\` to see why, or plan with --no-build-web`,
    );
  }
  if (!existsSync(index)) {
    throw new Error(`web app build finished but ${DEFAULT_WEB_BUILD_DIR}/index.html is still missing`);
  }
  step.log(`web app built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return true;
}
