import { randomBytes, randomUUID } from "node:crypto";
import { type JsonSchema, type OpenApiDocument, resolveRef } from "./openapi.ts";

/** A value the schema does not let the generator invent (a pattern, a uuid that must name something real). */
export class NeedsFixture extends Error {}

/**
 * A valid body for a JSON schema as the services' OpenAPI documents write them (zod-openapi output): every
 * required property and no optional one, the first variant of a oneOf, the first enum member, numbers near 10
 * within the bounds, strings of a legal length. Values that must refer to real state (uuids, patterns such as
 * invitation codes) cannot be made up: the operation then needs an explicit body in the fixture table.
 */
export function validBody(doc: OpenApiDocument, schema: JsonSchema, at = "body"): unknown {
  const s = resolveRef(doc, schema);
  const variants = s.oneOf ?? s.anyOf;
  if (variants?.[0]) return validBody(doc, variants[0], at);
  if (s.enum && s.enum.length > 0) return s.enum[0];
  switch (s.type) {
    case "object": {
      const body: Record<string, unknown> = {};
      for (const name of s.required ?? []) {
        const property = s.properties?.[name];
        if (!property) throw new NeedsFixture(`${at}.${name} is required but has no schema`);
        body[name] = validBody(doc, property, `${at}.${name}`);
      }
      return body;
    }
    case "array": {
      if (!s.items) throw new NeedsFixture(`${at} is an array without an item schema`);
      const items = s.items;
      return Array.from({ length: s.minItems ?? 0 }, (_, i) => validBody(doc, items, `${at}.${i}`));
    }
    case "integer":
    case "number":
      return Math.min(s.maximum ?? Number.MAX_SAFE_INTEGER, Math.max(s.minimum ?? 0, 10));
    case "boolean":
      return true;
    case "string":
      return validString(s, at);
    default:
      throw new NeedsFixture(`${at} has a schema the generator does not know: ${JSON.stringify(s)}`);
  }
}

function validString(s: JsonSchema, at: string): string {
  switch (s.format) {
    case "date-time":
      return new Date(Date.now() + 3_600_000).toISOString();
    case "email":
      return `campaign.${randomBytes(4).toString("hex")}@example.com`;
    case "uuid":
      throw new NeedsFixture(`${at} is a uuid, which must name something that exists`);
  }
  if (s.pattern) throw new NeedsFixture(`${at} must match ${s.pattern}`);
  const length = Math.min(s.maxLength ?? 24, Math.max(s.minLength ?? 1, 12));
  return `campaign-${randomUUID()}`.padEnd(length, "x").slice(0, length);
}
