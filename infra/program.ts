import * as pulumi from "@pulumi/pulumi";
import { loadPlatformConfig } from "../stacks/loader.ts";
import { createPlatform, type PlatformOutputs } from "./platform.ts";
import { loadWebBuild } from "./web-build-input.ts";

export interface ProgramOptions {
  /**
   * Plan without the web app's build (its objects are then left out, with a warning). Only the offline plan sets
   * this; `pulumi preview`/`up` need `npm run build:web` first.
   */
  allowMissingWebBuild?: boolean;
}

/**
 * The Pulumi program: reads `gomeet:*` stack config, validates it before any resource is declared, and builds
 * the platform. `pulumi up` runs it through infra/index.ts; the offline plan engine runs the same function.
 */
export function runPlatformProgram(options: ProgramOptions = {}): PlatformOutputs {
  const config = new pulumi.Config("gomeet");
  const platform = loadPlatformConfig({
    environment: config.get("environment"),
    overrides: readOverrides(config),
    stack: pulumi.getStack(),
  });
  const alertSlackWebhookUrl = config.getSecret("alertSlackWebhookUrl");
  const digitaloceanDnsToken = config.getSecret("digitaloceanDnsToken");
  const grafanaOAuthClientSecret = config.getSecret("grafanaOAuthClientSecret");
  if (platform.monitoring.grafana.allowList.length > 0 && !grafanaOAuthClientSecret) {
    throw new Error(
      "gomeet:grafanaOAuthClientSecret: expected the OAuth client secret of monitoring.grafana.login (pulumi config set --secret gomeet:grafanaOAuthClientSecret …) because monitoring.grafana.allowList publishes Grafana, got nothing",
    );
  }
  const configuredWebBuild = config.get("webBuild");
  const webBuild = loadWebBuild({
    ...(configuredWebBuild !== undefined ? { configuredDir: configuredWebBuild } : {}),
    allowMissing: options.allowMissingWebBuild === true,
  });
  if (!webBuild) {
    pulumi.log.warn(
      "web app build apps/web/dist is missing: the plan shows no app files in the CDN bucket (run `npm run build:web`)",
    );
  }
  return createPlatform(
    pulumi.getStack(),
    platform,
    {
      ...(alertSlackWebhookUrl && { alertSlackWebhookUrl }),
      ...(digitaloceanDnsToken && { digitaloceanDnsToken }),
      ...(grafanaOAuthClientSecret && { grafanaOAuthClientSecret }),
    },
    { webBuild },
  );
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
