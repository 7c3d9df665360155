import fc from "fast-check";

/**
 * Malformed-input generators shared by the services' fuzz tests: every operation of a service's OpenAPI
 * document, and request bodies that are wrong in every way a client (or an attacker) can make them wrong —
 * unknown and prototype-polluting keys, wrong types, wrong content types, truncated JSON, oversized bodies.
 */

export interface OpenApiOperation {
  method: string;
  path: string;
  /** Top-level JSON body fields the operation declares (across oneOf/anyOf variants). */
  bodyFields: string[];
}

interface SchemaRef {
  $ref?: string;
  properties?: Record<string, unknown>;
  oneOf?: SchemaRef[];
  anyOf?: SchemaRef[];
}

interface OpenApiDoc {
  paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: SchemaRef }> } }>>;
  components?: { schemas?: Record<string, SchemaRef> };
}

function fieldsOf(doc: OpenApiDoc, schema: SchemaRef | undefined): string[] {
  const resolved = schema?.$ref ? doc.components?.schemas?.[schema.$ref.split("/").at(-1) as string] : schema;
  if (!resolved) return [];
  const variants = [...(resolved.oneOf ?? []), ...(resolved.anyOf ?? [])];
  return [...Object.keys(resolved.properties ?? {}), ...variants.flatMap((v) => fieldsOf(doc, v))];
}

export function openApiOperations(doc: unknown): OpenApiOperation[] {
  const d = doc as OpenApiDoc;
  return Object.entries(d.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, op]) => ({
      method: method.toUpperCase(),
      path,
      bodyFields: [...new Set(fieldsOf(d, op.requestBody?.content["application/json"]?.schema))],
    })),
  );
}

export const jsonValue = fc.jsonValue({ maxDepth: 3 });

/** Values for a body field: strings of every shape, numbers, booleans, null, nested JSON, plus service words. */
export function fieldValues(serviceWords: string[] = []): fc.Arbitrary<unknown> {
  return fc.oneof(
    fc.string(),
    fc.string({ unit: "binary", maxLength: 40 }),
    fc.string({ minLength: 250, maxLength: 3000 }),
    fc.emailAddress(),
    fc.uuid(),
    fc.integer(),
    fc.integer({ min: -5, max: 600 }),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    ...(serviceWords.length > 0 ? [fc.constantFrom(...serviceWords)] : []),
    fc.array(jsonValue, { maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 8 }), jsonValue, { maxKeys: 3 }),
  );
}

export interface RequestBody {
  contentType: string | undefined;
  body: string | undefined;
}

export interface BodyOptions {
  /** The operation's declared fields (an operation without a body gets `["field"]`). */
  fields: string[];
  fieldValue: fc.Arbitrary<unknown>;
  /** Content types besides application/json to send, e.g. a service's webhook type. */
  contentTypes: (string | undefined)[];
  /** A JSON prefix cut off mid-value, e.g. `{"email":`. */
  truncatedJson: string;
  /** Size of the oversized body, above the service's body limit. */
  oversizedBytes: number;
  maxKeys?: number;
}

export function requestBodies(options: BodyOptions): fc.Arbitrary<RequestBody> {
  const fields = options.fields.length > 0 ? options.fields : ["field"];
  return fc.oneof(
    fc
      .dictionary(fc.constantFrom(...fields, "__proto__", "constructor", "extra"), options.fieldValue, {
        maxKeys: options.maxKeys ?? 5,
      })
      .map((value) => ({
        contentType: "application/json" as string | undefined,
        body: JSON.stringify(value) as string | undefined,
      })),
    jsonValue.map((value) => ({ contentType: "application/json", body: JSON.stringify(value) })),
    fc.record({
      contentType: fc.constantFrom("application/json", ...options.contentTypes),
      body: fc.oneof(
        fc.string(),
        fc.string({ unit: "binary" }),
        fc.constant(options.truncatedJson),
        fc.constant(undefined),
      ),
    }),
    fc.constant({
      contentType: "application/json",
      body: JSON.stringify({ pad: "x".repeat(options.oversizedBytes) }),
    }),
  );
}
