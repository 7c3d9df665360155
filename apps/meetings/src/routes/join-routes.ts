import { createRoute } from "@hono/zod-openapi";
import { trackSourceToString } from "livekit-server-sdk";
import { createRouter, problemResponseSpec } from "../../../shared/src/index.ts";
import { joinMeeting } from "../meeting-join.ts";
import { JoinResponseSchema, MeetingIdParams } from "../schemas.ts";
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
      request: { params: MeetingIdParams },
      responses: {
        200: jsonResponse("where and how to connect", JoinResponseSchema),
        401: problemResponseSpec("no valid access token"),
        403: problemResponseSpec("the caller was removed from the meeting"),
        404: problemResponseSpec("no such meeting, or the caller is not a member"),
        409: problemResponseSpec("the meeting is full, not started yet, or over"),
        422: problemResponseSpec("id is not a UUID"),
        503: problemResponseSpec("the media server could not create the room"),
      },
    }),
    async (c) => {
      const joined = await joinMeeting(ctx, c.req.valid("param").id, c.get("principal").subject);
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
