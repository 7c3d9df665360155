/**
 * The mutating operations a service's OpenAPI document declares, read from the document the running service
 * serves at /openapi.json, so an operation added to a service is part of the campaign without editing it.
 */

export type JsonSchema = {
  $ref?: string;
  type?: string;
  format?: string;
  enum?: unknown[];
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  oneOf?: JsonSchema[];
  anyOf?: JsonSchema[];
  nullable?: boolean;
  default?: unknown;
};

export interface OpenApiDocument {
  paths: Record<string, Record<string, RawOperation>>;
  components?: { schemas?: Record<string, JsonSchema> };
}

interface RawOperation {
  requestBody?: { content?: Record<string, { schema?: JsonSchema }> };
  responses?: Record<string, unknown>;
  parameters?: { name: string; in: string }[];
}

export const MUTATING_METHODS = ["POST", "PUT", "PATCH", "DELETE"] as const;

export interface MutatingOperation {
  service: string;
  method: string;
  path: string;
  /** `METHOD path`, the key of the fixture table. */
  key: string;
  pathParams: string[];
  /** The JSON body schema with `$ref`s left in (resolve with `resolveRef`), when the operation takes JSON. */
  bodySchema: JsonSchema | undefined;
  /** Every status the document says the operation can answer. */
  documentedStatuses: Set<number>;
}

export function mutatingOperations(service: string, doc: OpenApiDocument): MutatingOperation[] {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => (MUTATING_METHODS as readonly string[]).includes(method.toUpperCase()))
      .map(([method, op]) => ({
        service,
        method: method.toUpperCase(),
        path,
        key: `${method.toUpperCase()} ${path}`,
        pathParams: (op.parameters ?? []).filter((p) => p.in === "path").map((p) => p.name),
        bodySchema: op.requestBody?.content?.["application/json"]?.schema,
        documentedStatuses: new Set(Object.keys(op.responses ?? {}).map(Number)),
      })),
  );
}

export function resolveRef(doc: OpenApiDocument, schema: JsonSchema): JsonSchema {
  if (!schema.$ref) return schema;
  const name = schema.$ref.split("/").at(-1) ?? "";
  const found = doc.components?.schemas?.[name];
  if (!found) throw new Error(`the OpenAPI document has no schema ${schema.$ref}`);
  return resolveRef(doc, found);
}

export async function fetchOpenApi(baseUrl: string): Promise<OpenApiDocument> {
  const response = await fetch(`${baseUrl}/openapi.json`, { signal: AbortSignal.timeout(10_000) });
  if (!response.ok) throw new Error(`${baseUrl}/openapi.json answered ${response.status}`);
  return (await response.json()) as OpenApiDocument;
}
