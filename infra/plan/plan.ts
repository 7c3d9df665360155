import { resolve } from "node:path";
import type { PlatformOverrides } from "../../stacks/schema.ts";
import { runPlatformProgram } from "../program.ts";
import { type PlanGraph, recordProgram } from "./engine.ts";
import { readStackFile } from "./stack-file.ts";

/** The project root (where Pulumi.yaml lives), independent of the caller's working directory. */
export const PROJECT_ROOT = resolve(import.meta.dirname, "../..");

/** The program as the offline plan runs it: a missing web build leaves the app's objects out instead of failing. */
const offlineProgram = () => runPlatformProgram({ allowMissingWebBuild: true });

/** Plans a stack from its `Pulumi.<stack>.yaml`, exactly as `pulumi preview` would run the program. */
export async function planStack(stack: string, root = PROJECT_ROOT): Promise<PlanGraph> {
  const file = readStackFile(root, stack);
  return await recordProgram({ ...file, program: offlineProgram });
}

export interface InlineStack {
  stack: string;
  environment: string;
  overrides?: PlatformOverrides | Record<string, unknown>;
  /** Secret config values by key (without the `gomeet:` prefix), e.g. `{ alertSlackWebhookUrl: "https://…" }`. */
  secrets?: Record<string, string>;
  /** See ProgramRun.onSecret. */
  onSecret?: (value: unknown) => void;
}

/** Plans a stack from config given in code — what the infrastructure tests use. */
export async function planInline(input: InlineStack): Promise<PlanGraph> {
  const config: Record<string, string> = { "gomeet:environment": input.environment };
  if (input.overrides !== undefined) config["gomeet:overrides"] = JSON.stringify(input.overrides);
  const secretKeys: string[] = [];
  for (const [key, value] of Object.entries(input.secrets ?? {})) {
    config[`gomeet:${key}`] = value;
    secretKeys.push(`gomeet:${key}`);
  }
  return await recordProgram({
    project: "gomeet",
    stack: input.stack,
    config,
    secretKeys,
    program: offlineProgram,
    ...(input.onSecret ? { onSecret: input.onSecret } : {}),
  });
}
