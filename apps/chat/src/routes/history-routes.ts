import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { ApiError, type AppEnv, createRouter, problemResponseSpec } from "../../../shared/src/index.ts";
import { type ChatEvent, type ExportCursor, messagesBefore, userMessagesAcrossShards } from "../event-log.ts";
import { type MembershipClient, MembershipUnavailable } from "../membership.ts";
import type { ChatShards } from "../shards.ts";

export interface HistoryContext {
  shards: ChatShards;
  membership: MembershipClient;
  requireAccessToken: MiddlewareHandler<AppEnv>;
}

const MessageSchema = z
  .object({
    meetingId: z.uuid(),
    seq: z.number().int(),
    id: z.string().openapi({ description: "the sender's client message id" }),
    from: z.object({ userId: z.uuid(), name: z.string() }),
    text: z.string().nullable().openapi({ description: "null once a moderator deleted the message" }),
    deleted: z.boolean(),
    at: z.string().openapi({ description: "ISO 8601, UTC, microseconds" }),
  })
  .openapi("ChatMessage");

const PageSchema = z
  .object({
    items: z.array(MessageSchema),
    nextCursor: z.string().nullable().openapi({ description: "pass as `cursor` for the next (older) page" }),
  })
  .openapi("ChatMessagePage");

const PageQuery = z.object({
  cursor: z
    .string()
    .max(512)
    .optional()
    .openapi({ description: "opaque, from the previous page's nextCursor" }),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

function view(event: ChatEvent) {
  return {
    meetingId: event.meetingId,
    seq: event.seq,
    id: event.clientMsgId,
    from: { userId: event.senderId, name: event.senderName },
    text: event.body,
    deleted: event.deleted,
    at: event.at,
  };
}

const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

function decode<T>(cursor: string, valid: z.ZodType<T>): T {
  try {
    return valid.parse(JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")));
  } catch {
    throw new ApiError(
      422,
      "validation_failed",
      "invalid query: cursor: expected a cursor from a previous page",
      {
        errors: [{ field: "cursor", message: "expected a cursor from a previous page" }],
      },
    );
  }
}

const SeqCursor = z.object({ before: z.number().int().min(1) });
const ExportCursorSchema = z.object({
  at: z.string().regex(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/),
  meetingId: z.uuid(),
  seq: z.number().int().min(1),
});

const unauthorized = problemResponseSpec("no valid access token");

export function historyRoutes(ctx: HistoryContext): OpenAPIHono<AppEnv> {
  const router = createRouter();
  const guarded = { security: [{ bearerAuth: [] }], middleware: [ctx.requireAccessToken] };

  router.openapi(
    createRoute({
      method: "get",
      path: "/v1/chat/meetings/{meetingId}/messages",
      tags: ["chat"],
      summary: "A meeting's chat history, newest first, for participants of the meeting",
      ...guarded,
      request: { params: z.object({ meetingId: z.uuid() }), query: PageQuery },
      responses: {
        200: { description: "one page", content: { "application/json": { schema: PageSchema } } },
        401: unauthorized,
        403: problemResponseSpec("not a participant of this meeting"),
        422: problemResponseSpec("a parameter is invalid"),
        503: problemResponseSpec("membership cannot be checked right now"),
      },
    }),
    async (c) => {
      const { meetingId } = c.req.valid("param");
      const { cursor, limit } = c.req.valid("query");
      const before = cursor ? decode(cursor, SeqCursor).before : undefined;
      const membership = await ctx.membership.lookup(meetingId, c.get("principal").subject).catch((error) => {
        if (error instanceof MembershipUnavailable) {
          throw new ApiError(
            503,
            "membership_unavailable",
            "meeting membership cannot be checked right now",
            {
              headers: { "retry-after": "1" },
            },
          );
        }
        throw error;
      });
      if (!membership.member)
        throw new ApiError(403, "not_a_member", "you are not a participant of this meeting");
      const events = await messagesBefore(ctx.shards.forMeeting(meetingId), meetingId, before, limit + 1);
      const page = events.slice(0, limit);
      const last = page[page.length - 1];
      return c.json(
        {
          items: page.map(view),
          nextCursor: events.length > limit && last ? encode({ before: last.seq }) : null,
        },
        200,
      );
    },
  );

  router.openapi(
    createRoute({
      method: "get",
      path: "/v1/chat/me/messages",
      tags: ["chat"],
      summary: "Export: every chat message the caller sent, across all meetings (and shards), newest first",
      ...guarded,
      request: { query: PageQuery },
      responses: {
        200: { description: "one page", content: { "application/json": { schema: PageSchema } } },
        401: unauthorized,
        422: problemResponseSpec("a parameter is invalid"),
      },
    }),
    async (c) => {
      const { cursor, limit } = c.req.valid("query");
      const after: ExportCursor | undefined = cursor ? decode(cursor, ExportCursorSchema) : undefined;
      const events = await userMessagesAcrossShards(
        ctx.shards.all(),
        c.get("principal").subject,
        after,
        limit + 1,
      );
      const page = events.slice(0, limit);
      const last = page[page.length - 1];
      return c.json(
        {
          items: page.map(view),
          nextCursor:
            events.length > limit && last
              ? encode({ at: last.at, meetingId: last.meetingId, seq: last.seq })
              : null,
        },
        200,
      );
    },
  );
  return router;
}
