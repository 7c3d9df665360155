import { createRoute, z } from "@hono/zod-openapi";
import { ApiError, createRouter, problemResponseSpec } from "../../../shared/src/index.ts";
import { MEETING_ROLES } from "../meeting-roles.ts";
import { findMeeting, findMember } from "../meetings-store.ts";
import { MemberParams } from "../schemas.ts";
import { jsonResponse, type MeetingsContext, type MeetingsRouter } from "./context.ts";

/**
 * In-cluster only (the gateway routes `/v1/…` alone): the chat service asks here whether a user may take part
 * in a meeting's chat, and with which role (docs/services/chat.md "Membership"). A removed member, or any member
 * of a cancelled or ended meeting, is not a member for chat.
 */
export function membershipRoutes(ctx: MeetingsContext): MeetingsRouter {
  const router = createRouter();
  router.openapi(
    createRoute({
      method: "get",
      path: "/internal/meetings/{id}/members/{userId}",
      tags: ["internal"],
      summary: "Membership check for the chat service: the user's meeting role, or 404",
      request: { params: MemberParams },
      responses: {
        200: jsonResponse("the user is a member", z.object({ role: z.enum(MEETING_ROLES) })),
        404: problemResponseSpec("no such meeting, or the user is not (or no longer) a member"),
        422: problemResponseSpec("the ids are not UUIDs"),
      },
    }),
    async (c) => {
      const { id, userId } = c.req.valid("param");
      const meeting = await findMeeting(ctx.sql, id);
      const member = meeting ? await findMember(ctx.sql, id, userId) : undefined;
      if (
        !meeting ||
        !member ||
        member.removedAt ||
        meeting.state === "cancelled" ||
        meeting.state === "ended"
      ) {
        throw new ApiError(404, "not_a_member", "the user is not a member of this meeting");
      }
      return c.json({ role: member.role }, 200);
    },
  );
  return router;
}
