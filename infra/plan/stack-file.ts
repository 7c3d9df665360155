import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";

/** What the offline plan shows in place of every secret value. */
export const SECRET_PLACEHOLDER = "[secret]";

/**
 * What the program receives for an encrypted config value: a long, clearly fake string (renderers that check a
 * token's length accept it), marked secret so it is shown as SECRET_PLACEHOLDER wherever it flows.
 */
export function offlineSecretValue(key: string): string {
  return `offline-plan-placeholder-${createHash("sha256").update(key).digest("hex").slice(0, 40)}`;
}

/** A stack's configuration as the Pulumi CLI would hand it to the program: string values, secret keys named. */
export interface StackFile {
  stack: string;
  project: string;
  /** Fully qualified keys (`gomeet:environment`); structured values as JSON text, like the CLI passes them. */
  config: Record<string, string>;
  /** Keys whose value was `secure:` (or contained a `secure:` value); their value is the placeholder. */
  secretKeys: string[];
}

export class StackFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StackFileError";
  }
}

/** Lists the stacks that have a `Pulumi.<stack>.yaml` in the project root. */
export function listStacks(root: string): string[] {
  return readdirSync(root)
    .map((f) => /^Pulumi\.(.+)\.ya?ml$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined)
    .sort();
}

export function readProjectName(root: string): string {
  const file = join(root, "Pulumi.yaml");
  if (!existsSync(file))
    throw new StackFileError(`no Pulumi.yaml in ${root}: run the plan from the project root`);
  const project = parse(readFileSync(file, "utf8")) as { name?: unknown } | null;
  if (typeof project?.name !== "string")
    throw new StackFileError(`${file}: expected a string "name", got nothing`);
  return project.name;
}

/**
 * Reads `Pulumi.<stack>.yaml` the way the CLI does for the program, except that encrypted values are never
 * decrypted: each becomes a fake value and its key is reported as secret, so it is redacted wherever it flows.
 */
export function readStackFile(root: string, stack: string): StackFile {
  const project = readProjectName(root);
  const file = join(root, `Pulumi.${stack}.yaml`);
  if (!existsSync(file)) {
    const known = listStacks(root);
    throw new StackFileError(
      `no stack file Pulumi.${stack}.yaml in ${root} (stacks with a file: ${known.join(", ") || "none"})`,
    );
  }
  let doc: unknown;
  try {
    doc = parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new StackFileError(`Pulumi.${stack}.yaml is not valid YAML: ${(error as Error).message}`);
  }
  const rawConfig = (doc as { config?: unknown } | null)?.config ?? {};
  if (rawConfig === null || typeof rawConfig !== "object" || Array.isArray(rawConfig)) {
    throw new StackFileError(`Pulumi.${stack}.yaml: expected "config" to be a mapping`);
  }
  const config: Record<string, string> = {};
  const secretKeys: string[] = [];
  for (const [rawKey, rawValue] of Object.entries(rawConfig)) {
    const key = rawKey.includes(":") ? rawKey : `${project}:${rawKey}`;
    const { value, secret } = redactSecure(rawValue, key);
    config[key] = typeof value === "string" ? value : JSON.stringify(value);
    if (secret) secretKeys.push(key);
  }
  return { stack, project, config, secretKeys: secretKeys.sort() };
}

function isSecure(value: unknown): value is { secure: string } {
  return (
    value !== null &&
    typeof value === "object" &&
    !Array.isArray(value) &&
    Object.keys(value).length === 1 &&
    typeof (value as { secure?: unknown }).secure === "string"
  );
}

function redactSecure(value: unknown, key: string): { value: unknown; secret: boolean } {
  if (isSecure(value)) return { value: offlineSecretValue(key), secret: true };
  if (Array.isArray(value)) {
    const items = value.map((v, i) => redactSecure(v, `${key}[${i}]`));
    return { value: items.map((i) => i.value), secret: items.some((i) => i.secret) };
  }
  if (value !== null && typeof value === "object") {
    let secret = false;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const inner = redactSecure(v, `${key}.${k}`);
      out[k] = inner.value;
      secret ||= inner.secret;
    }
    return { value: out, secret };
  }
  return { value, secret: false };
}
