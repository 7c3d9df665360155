import { isAbsolute, relative, resolve } from "node:path";
import { readWebBuild, type WebBuild } from "../components/edge/web-build.ts";

/** Where `npm run build:web` writes the app, relative to the project root. */
export const DEFAULT_WEB_BUILD_DIR = "apps/web/dist";

export interface WebBuildInput {
  /** `gomeet:webBuild`: a build directory other than apps/web/dist (relative to the project root, or absolute). */
  configuredDir?: string;
  /** The offline plan may run without a build (forks' CI plans before anything is built); a deploy may not. */
  allowMissing: boolean;
  /** The project root; the program runs there (`pulumi` starts it in the directory of Pulumi.yaml). */
  root?: string;
}

/**
 * The web build the stack uploads. Files inside the project are named by their path relative to the project
 * root, so the plan and the provider's `source` inputs are the same on every machine.
 */
export function loadWebBuild(input: WebBuildInput): WebBuild | undefined {
  const root = input.root ?? process.cwd();
  const dir = input.configuredDir ?? DEFAULT_WEB_BUILD_DIR;
  const absolute = resolve(root, dir);
  const inside = relative(root, absolute);
  const shown = inside.startsWith("..") || isAbsolute(inside) ? absolute : inside;
  const build = readWebBuild(absolute);
  if (build) {
    return {
      ...build,
      dir: shown,
      files: build.files.map((f) => ({
        ...f,
        source: shown === absolute ? f.source : relative(root, f.source),
      })),
    };
  }
  if (input.configuredDir !== undefined) {
    throw new Error(
      `gomeet:webBuild: expected a directory holding the web app's build, got "${dir}" (not found)`,
    );
  }
  if (input.allowMissing) return undefined;
  throw new Error(
    `web app build ${shown} is missing: run \`npm run build:web\` before \`pulumi preview\`/\`pulumi up\` (the stack uploads it to the CDN bucket)`,
  );
}
