import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";

/** One field that failed validation: its dotted path in the input and what was wrong with it. */
export interface FieldProblem {
  field: string;
  message: string;
}

/** The body of every error answer (RFC 9457 problem details plus a stable machine-readable `code`). */
export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  code: string;
  detail: string;
  requestId?: string;
  errors?: FieldProblem[];
}

export const PROBLEM_CONTENT_TYPE = "application/problem+json";

/**
 * The one error type handlers throw. `code` is stable (clients branch on it); `detail` is for people.
 * Never put secrets or internals in either: both are sent to the client.
 */
export class ApiError extends HTTPException {
  readonly code: string;
  readonly detail: string;
  readonly errors: FieldProblem[] | undefined;
  readonly headers: Record<string, string>;

  constructor(
    status: ContentfulStatusCode,
    code: string,
    detail: string,
    options: { errors?: FieldProblem[]; headers?: Record<string, string> } = {},
  ) {
    super(status, { message: detail });
    this.name = "ApiError";
    this.code = code;
    this.detail = detail;
    this.errors = options.errors;
    this.headers = options.headers ?? {};
  }
}

const titles: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  409: "Conflict",
  413: "Content Too Large",
  415: "Unsupported Media Type",
  422: "Unprocessable Content",
  429: "Too Many Requests",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

export function problemBody(
  status: number,
  code: string,
  detail: string,
  extra: { requestId?: string; errors?: FieldProblem[] } = {},
): ProblemBody {
  return {
    type: `urn:gomeet:problem:${code}`,
    title: titles[status] ?? "Error",
    status,
    code,
    detail,
    ...(extra.requestId ? { requestId: extra.requestId } : {}),
    ...(extra.errors ? { errors: extra.errors } : {}),
  };
}

export function problemResponse(
  c: Context,
  body: ProblemBody,
  headers: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify(body), {
    status: body.status,
    headers: { "content-type": PROBLEM_CONTENT_TYPE, ...headers, ...requestIdHeader(c) },
  });
}

function requestIdHeader(c: Context): Record<string, string> {
  const id = c.get("requestId") as string | undefined;
  return id ? { "x-request-id": id } : {};
}

/** Stable codes for the HTTP exceptions Hono itself throws (body parsing, media type, body size). */
const codeForHttpStatus: Record<number, string> = {
  400: "malformed_body",
  401: "unauthorized",
  404: "not_found",
  405: "method_not_allowed",
  413: "body_too_large",
  415: "unsupported_media_type",
};

/** Maps what a handler threw onto a problem body; `internal` is true for anything unexpected. */
export function toProblem(
  error: unknown,
  requestId?: string,
): { body: ProblemBody; headers: Record<string, string>; internal: boolean } {
  if (error instanceof ApiError) {
    return {
      body: problemBody(error.status, error.code, error.detail, {
        requestId,
        ...(error.errors ? { errors: error.errors } : {}),
      }),
      headers: error.headers,
      internal: false,
    };
  }
  if (error instanceof HTTPException && error.status < 500) {
    const code = codeForHttpStatus[error.status] ?? "bad_request";
    return {
      body: problemBody(error.status, code, error.message || code, { requestId }),
      headers: {},
      internal: false,
    };
  }
  return {
    body: problemBody(500, "internal_error", "The server could not complete the request.", { requestId }),
    headers: {},
    internal: true,
  };
}
