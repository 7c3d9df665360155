import { createRoute, z } from "@hono/zod-openapi";
import { trackSourceToString } from "livekit-server-sdk";
import { createRouter, problemResponseSpec } from "../../../shared/src/index.ts";
import { joinMeeting, WAITING_POLL_SECONDS } from "../meeting-join.ts";
import { JoinRequestBody, JoinResponseSchema, MeetingIdParams } from "../schemas.ts";
import { WaitingJoinSchema } from "../waiting-room-schemas.ts";
import { bearerSecurity, jsonResponse, type MeetingsContext, type MeetingsRouter } from "./context.ts";

export function joinRoutes(ctx: MeetingsContext): MeetingsRouter {
  const router = createRouter();
  router.openapi(
    createRoute({
      method: "post",
      path: "/v1/meetings/{id}/join",
      summary:
        "Join: a seat, the LiveKit URL, a short-lived access token for the main or breakout room, and client settings",
      tags: ["join"],
      security: bearerSecurity,
      middleware: [ctx.requireUser],
      request: {
        params: MeetingIdParams,
        // Optional: a join without a body (or without a name) shows the participant by their user id.
        body: { content: { "application/json": { schema: JoinRequestBody } }, required: false },
      },
      responses: {
        200: jsonResponse("where and how to connect", JoinResponseSchema),
        202: {
          ...jsonResponse(
            "the meeting has a waiting room and the caller (an attendee) waits for a host or co-host: poll again",
            WaitingJoinSchema,
          ),
          headers: z.object({
            "Retry-After": z.string().openapi({ description: "seconds until the next poll" }),
          }),
        },
        401: problemResponseSpec("no valid access token"),
        403: problemResponseSpec(
          "the caller was removed from the meeting (participant_removed) or denied entry from its waiting room (admission_denied)",
        ),
        404: problemResponseSpec("no such meeting, or the caller is not a member"),
        409: problemResponseSpec("the meeting is full, not started yet, or over"),
        422: problemResponseSpec(
          "id is not a UUID, or name is empty, longer than 100 characters or has control characters",
        ),
        503: problemResponseSpec(
          "the media server could not create the room (media_unavailable), or the meeting's seat ledger cannot be reached (seats_unavailable); retry after Retry-After",
        ),
      },
    }),
    async (c) => {
      const meetingId = c.req.valid("param").id;
      const body = (c.req.valid("json") ?? {}) as { name?: string };
      const joined = await joinMeeting(ctx, meetingId, c.get("principal").subject, body.name);
      if (joined.kind === "waiting") {
        c.header("Retry-After", String(WAITING_POLL_SECONDS));
        return c.json(
          {
            status: "waiting" as const,
            meetingId,
            position: joined.position,
            requestedAt: joined.requestedAt.toISOString(),
            pollAfterSeconds: WAITING_POLL_SECONDS,
            poll: { method: "POST" as const, path: `/v1/meetings/${meetingId}/join` },
          },
          202,
        );
      }
      const p = joined.permissions;
      return c.json(
        {
          url: joined.url,
          token: joined.token,
          expiresAt: joined.expiresAt.toISOString(),
          room: joined.room,
          breakoutRoom: joined.breakoutRoom,
          identity: joined.identity,
          role: joined.role,
          grants: {
            canPublish: p.canPublish,
            canSubscribe: p.canSubscribe,
            canPublishData: p.canPublishData,
            canPublishSources: p.canPublishSources.map(trackSourceToString),
            roomAdmin: p.roomAdmin,
          },
          clientSettings: joined.clientSettings,
        },
        200,
      );
    },
  );
  return router;
}
