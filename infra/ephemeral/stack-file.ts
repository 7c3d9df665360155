import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { loadPlatformConfig } from "../../stacks/loader.ts";
import { readStackFile } from "../plan/stack-file.ts";

/** Domain every ephemeral stack lives under (stacks/presets/ephemeral.ts). */
const EPHEMERAL_PARENT_DOMAIN = "dev.gomeet.app";

/**
 * The config of a new ephemeral stack: the ephemeral preset, with its own subdomain so two stacks never ask
 * DigitalOcean for the same DNS zone. Network ranges come from the stack name (components/network/ranges.ts).
 */
export function ephemeralStackConfig(name: string): Record<string, unknown> {
  return {
    "gomeet:environment": "ephemeral",
    "gomeet:overrides": { domain: `${name}.${EPHEMERAL_PARENT_DOMAIN}` },
  };
}

export interface StackFileResult {
  path: string;
  written: boolean;
}

/**
 * Writes `Pulumi.<stack>.yaml` unless it exists (a developer may have added overrides to it), then validates it
 * with the same loader the program runs, so a bad file fails here and not halfway through `pulumi up`.
 */
export function ensureEphemeralStackFile(root: string, stack: string, name: string): StackFileResult {
  const path = join(root, `Pulumi.${stack}.yaml`);
  let written = false;
  if (!existsSync(path)) {
    const header = `# Ephemeral stack ${stack}, written by \`npm run ephemeral -- up ${name}\`. Its expiry is the stack tag\n# gomeet:expires; \`npm run ephemeral -- sweep\` destroys it after that time.\n`;
    writeFileSync(path, header + stringify({ config: ephemeralStackConfig(name) }));
    written = true;
  }
  const file = readStackFile(root, stack);
  const environment = file.config["gomeet:environment"];
  if (environment !== "ephemeral") {
    throw new Error(
      `${path}: gomeet:environment: expected ephemeral for an eph- stack, got ${environment === undefined ? "nothing" : `"${environment}"`}`,
    );
  }
  const overrides = file.config["gomeet:overrides"];
  loadPlatformConfig({
    environment,
    overrides: overrides === undefined ? undefined : JSON.parse(overrides),
    stack,
  });
  return { path, written };
}
