import type { z } from "zod";

/**
 * Thrown when a renderer's input breaks its schema. The message names every offending field (dotted path
 * under `root`), the rule it broke and the value found — except for secret fields, whose values are never
 * echoed so that a typo in a webhook URL cannot leak it into CI logs.
 */
export class ObservabilityInputError extends Error {
  override readonly name = "ObservabilityInputError";
}

/** Field names whose values are secret wherever they appear in an input tree. */
const SECRET_FIELDS = new Set(["webhookUrl", "authPassword"]);

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let current: unknown = root;
  for (const key of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

function describeValue(value: unknown): string {
  if (value === undefined) return "nothing";
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean" || value === null) return String(value);
  // Objects may hold secrets below the failing field (an email block with its password): mask them.
  const json = JSON.stringify(value, (key, inner) => (SECRET_FIELDS.has(key) ? "<redacted>" : inner));
  return json.length > 240 ? `${json.slice(0, 237)}...` : json;
}

/** Validates `input` against `schema`, returning the parsed value or throwing ObservabilityInputError. */
export function parseObservabilityInput<S extends z.ZodType>(
  schema: S,
  input: unknown,
  root: string,
): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => {
    const field = [root, ...issue.path.map(String)].join(".");
    const secret = issue.path.some((key) => typeof key === "string" && SECRET_FIELDS.has(key));
    const found = secret ? "a value (redacted: secret field)" : describeValue(valueAt(input, issue.path));
    return `${field}: ${issue.message}, got ${found}`;
  });
  throw new ObservabilityInputError(lines.join("\n"));
}
