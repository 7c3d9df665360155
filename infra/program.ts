import * as pulumi from "@pulumi/pulumi";
import { loadPlatformConfig } from "../stacks/loader.ts";
import { createPlatform, type PlatformOutputs } from "./platform.ts";

/**
 * The Pulumi program: reads `gomeet:*` stack config, validates it before any resource is declared, and builds
 * the platform. `pulumi up` runs it through infra/index.ts; the offline plan engine runs the same function.
 */
export function runPlatformProgram(): PlatformOutputs {
  const config = new pulumi.Config("gomeet");
  const platform = loadPlatformConfig({
    environment: config.get("environment"),
    overrides: readOverrides(config),
    stack: pulumi.getStack(),
  });
  const alertSlackWebhookUrl = config.getSecret("alertSlackWebhookUrl");
  const digitaloceanDnsToken = config.getSecret("digitaloceanDnsToken");
  return createPlatform(pulumi.getStack(), platform, {
    ...(alertSlackWebhookUrl && { alertSlackWebhookUrl }),
    ...(digitaloceanDnsToken && { digitaloceanDnsToken }),
  });
}

function readOverrides(config: pulumi.Config): unknown {
  const raw = config.get("overrides");
  if (raw === undefined) return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    // A plain string is not a mapping; the loader reports it with the path and the value.
    return raw;
  }
}
