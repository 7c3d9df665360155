import type { z } from "zod";
import { ephemeralRanges } from "../components/network/ranges.ts";
import { PRESETS } from "./presets/index.ts";
import { MEDIA_POOL_FROM_PLANNER, withPlannedMediaPool } from "./presets/planned-media-pool.ts";
import { checkPlatformRules } from "./rules.ts";
import { type Environment, type PlatformConfig, platformSchema } from "./schema.ts";

/** One broken rule: where (as the user writes it in Pulumi.<stack>.yaml), what was expected, what was found. */
export interface ConfigIssue {
  path: string;
  expected: string;
  found: string;
}

/** Invalid stack configuration. The message lists every issue, one per line, and never a secret value. */
export class ConfigError extends Error {
  constructor(readonly issues: ConfigIssue[]) {
    super(
      `invalid stack configuration:\n${issues.map((i) => `  ${i.path}: ${i.expected}, got ${i.found}`).join("\n")}`,
    );
    this.name = "ConfigError";
  }
}

export interface StackSettings {
  /** `gomeet:environment`: the preset to start from. */
  environment: unknown;
  /** `gomeet:overrides`: a mapping merged over the preset. */
  overrides?: unknown;
  /** The stack name; ephemeral stacks derive their network ranges from it unless overrides set them. */
  stack?: string;
}

const ENVIRONMENTS = Object.keys(PRESETS) as Environment[];

/**
 * Merges the environment preset with the stack's overrides and validates the result once. Throws ConfigError
 * naming the config path, the rule and the value for every problem; nothing is declared before this returns.
 */
export function loadPlatformConfig(settings: StackSettings): PlatformConfig {
  const { environment, overrides } = settings;
  if (typeof environment !== "string" || !ENVIRONMENTS.includes(environment as Environment)) {
    throw new ConfigError([
      {
        path: "gomeet:environment",
        expected: `expected one of ${ENVIRONMENTS.join(", ")}`,
        found: describeValue(environment),
      },
    ]);
  }
  if (overrides !== undefined && !isPlainObject(overrides)) {
    throw new ConfigError([
      {
        path: "gomeet:overrides",
        expected: "expected a mapping of settings",
        found: describeValue(overrides),
      },
    ]);
  }
  if (overrides && "environment" in overrides) {
    throw new ConfigError([
      {
        path: "gomeet:overrides.environment",
        expected: "expected no value here (set the environment with gomeet:environment)",
        found: describeValue(overrides.environment),
      },
    ]);
  }
  let preset = PRESETS[environment as Environment];
  if (environment === "ephemeral" && settings.stack) {
    preset = { ...preset, network: ephemeralRanges(settings.stack) };
  }
  let merged = overrides ? deepMerge(preset, overrides) : preset;
  if (overrides && MEDIA_POOL_FROM_PLANNER.has(environment as Environment)) {
    merged = withPlannedMediaPool(merged, overrides);
  }
  const result = platformSchema.safeParse(merged);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.flatMap((issue) => toConfigIssues(issue, merged, overrides ?? {}, environment)),
    );
  }
  const violations = checkPlatformRules(result.data);
  if (violations.length > 0) {
    throw new ConfigError(
      violations.map((v) => ({
        path: userPath(v.path, overrides ?? {}, environment),
        expected: v.expected,
        found: describeValue(valueAt(merged, v.path)),
      })),
    );
  }
  return result.data;
}

function toConfigIssues(
  issue: z.core.$ZodIssue,
  merged: unknown,
  overrides: Record<string, unknown>,
  environment: string,
): ConfigIssue[] {
  const path = issue.path.map(String);
  if (issue.code === "unrecognized_keys") {
    return issue.keys.map((key) => {
      const full = [...path, key];
      const allowed = Object.keys(valueAt(PRESETS.production, path) ?? {});
      return {
        path: userPath(full, overrides, environment),
        expected: `expected no such setting (known here: ${allowed.join(", ")})`,
        found: describeValue(valueAt(merged, full)),
      };
    });
  }
  return [
    {
      path: userPath(path, overrides, environment),
      expected: expectation(issue),
      found: describeValue(valueAt(merged, path)),
    },
  ];
}

function expectation(issue: z.core.$ZodIssue): string {
  if (issue.message.startsWith("expected")) return issue.message;
  switch (issue.code) {
    case "invalid_type":
      return `expected ${issue.expected}`;
    case "too_small":
      return `expected a value ≥ ${String(issue.minimum)}`;
    case "too_big":
      return `expected a value ≤ ${String(issue.maximum)}`;
    default:
      return `expected ${issue.message}`;
  }
}

/**
 * The path as the user would look for it: under `gomeet:overrides` when the stack file sets that value (or the
 * object it sits in), otherwise in the environment's preset, which the stack file can override.
 */
function userPath(path: string[], overrides: Record<string, unknown>, environment: string): string {
  const dotted = path.join(".");
  for (let depth = path.length; depth > 0; depth--) {
    if (valueAt(overrides, path.slice(0, depth)) !== undefined) return `gomeet:overrides.${dotted}`;
  }
  return `gomeet:overrides.${dotted} (value from the ${environment} preset)`;
}

function valueAt(root: unknown, path: readonly (string | number)[]): unknown {
  let current = root;
  for (const key of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<string, unknown>)[String(key)];
  }
  return current;
}

function describeValue(value: unknown): string {
  if (value === undefined) return "nothing";
  const text = JSON.stringify(value);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** Objects merge key by key; arrays and scalars in the override replace the preset's value. */
export function deepMerge<T>(base: T, override: unknown): T {
  if (!isPlainObject(base) || !isPlainObject(override)) return override as T;
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) {
    out[key] = key in out ? deepMerge(out[key], value) : value;
  }
  return out as T;
}
