import { z } from "@hono/zod-openapi";

export const FieldProblemSchema = z.object({
  field: z.string().openapi({ example: "email" }),
  message: z.string(),
});

/** RFC 9457 problem details as every GoMeet service answers errors. */
export const ProblemSchema = z
  .object({
    type: z.string().openapi({ example: "urn:gomeet:problem:validation_failed" }),
    title: z.string(),
    status: z.number().int(),
    code: z
      .string()
      .openapi({ description: "Stable machine-readable error code", example: "validation_failed" }),
    detail: z.string(),
    requestId: z.string().optional(),
    errors: z.array(FieldProblemSchema).optional(),
  })
  .openapi("Problem");

/** An OpenAPI response entry for an error status, all sharing the Problem schema. */
export function problemResponseSpec(description: string) {
  return { description, content: { "application/problem+json": { schema: ProblemSchema } } };
}
