import { createRoute, z } from "@hono/zod-openapi";
import { ApiError, createRouter, problemResponseSpec } from "../../../shared/src/index.ts";
import {
  acceptInvitation,
  insertInvitation,
  listInvitations,
  newInvitationCode,
  normalizeEmail,
  revokeInvitation,
} from "../invitations-store.ts";
import { findMeeting } from "../meetings-store.ts";
import {
  AcceptInvitationBody,
  CreatedInvitationSchema,
  CreateInvitationBody,
  InvitationParams,
  InvitationSchema,
  MeetingIdParams,
  MeetingSchema,
} from "../schemas.ts";
import {
  bearerSecurity,
  jsonBody,
  jsonResponse,
  type MeetingsContext,
  type MeetingsRouter,
  meetingForModerator,
} from "./context.ts";
import { invitationView, meetingView } from "./views.ts";

const denied = { 401: problemResponseSpec("no valid access token") };
const moderatorOnly = { 403: problemResponseSpec("not a host or co-host") };
const notFound = { 404: problemResponseSpec("no such meeting, or the caller is not a member") };
const invalid = { 422: problemResponseSpec("a parameter or the body is invalid") };

export function invitationRoutes(ctx: MeetingsContext): MeetingsRouter {
  const router = createRouter();
  const guarded = { tags: ["invitations"], security: bearerSecurity, middleware: [ctx.requireUser] };

  router.openapi(
    createRoute({
      method: "post",
      path: "/v1/meetings/{id}/invitations",
      summary:
        "Invite one email address (one use) or create a shareable link (use limit and expiry); the code is shown only here",
      ...guarded,
      request: { params: MeetingIdParams, body: jsonBody(CreateInvitationBody) },
      responses: {
        201: jsonResponse("the invitation with its code", CreatedInvitationSchema),
        ...denied,
        ...moderatorOnly,
        ...notFound,
        409: problemResponseSpec("the meeting is over"),
        ...invalid,
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const body = c.req.valid("json");
      const userId = c.get("principal").subject;
      const { meeting } = await meetingForModerator(ctx, id, userId, "invite");
      if (meeting.state === "ended" || meeting.state === "cancelled")
        throw new ApiError(409, "meeting_over", `cannot invite to a meeting that is ${meeting.state}`);
      const code = newInvitationCode();
      const invitation = await insertInvitation(
        ctx.sql,
        {
          meetingId: id,
          kind: body.kind,
          email: body.kind === "email" ? normalizeEmail(body.email) : null,
          role: body.role,
          maxUses: body.kind === "email" ? 1 : body.maxUses,
          expiresAt: new Date(Date.now() + body.expiresInSeconds * 1000),
          createdBy: userId,
        },
        code,
      );
      return c.json({ ...invitationView(invitation), code }, 201);
    },
  );

  router.openapi(
    createRoute({
      method: "get",
      path: "/v1/meetings/{id}/invitations",
      summary: "The meeting's invitations with their use counts (codes are never shown again)",
      ...guarded,
      request: { params: MeetingIdParams },
      responses: {
        200: jsonResponse("invitations", z.object({ invitations: z.array(InvitationSchema) })),
        ...denied,
        ...moderatorOnly,
        ...notFound,
        ...invalid,
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      await meetingForModerator(ctx, id, c.get("principal").subject, "see invitations");
      return c.json({ invitations: (await listInvitations(ctx.sql, id)).map(invitationView) }, 200);
    },
  );

  router.openapi(
    createRoute({
      method: "delete",
      path: "/v1/meetings/{id}/invitations/{invitationId}",
      summary: "Revoke an invitation: its code stops working (members it admitted stay)",
      ...guarded,
      request: { params: InvitationParams },
      responses: {
        200: jsonResponse("the revoked invitation", InvitationSchema),
        ...denied,
        ...moderatorOnly,
        404: problemResponseSpec("no such meeting or invitation"),
        ...invalid,
      },
    }),
    async (c) => {
      const { id, invitationId } = c.req.valid("param");
      await meetingForModerator(ctx, id, c.get("principal").subject, "revoke invitations");
      const revoked = await revokeInvitation(ctx.sql, id, invitationId);
      if (!revoked)
        throw new ApiError(404, "invitation_not_found", `no invitation ${invitationId} in this meeting`);
      return c.json(invitationView(revoked), 200);
    },
  );

  router.openapi(
    createRoute({
      method: "post",
      path: "/v1/invitations/accept",
      summary: "Accept an invitation by its code: the caller becomes a member with the invitation's role",
      ...guarded,
      request: { body: jsonBody(AcceptInvitationBody) },
      responses: {
        200: jsonResponse("the meeting joined", MeetingSchema),
        ...denied,
        403: problemResponseSpec(
          "the caller was removed from the meeting (participant_removed), or the invitation was sent to another email address than the caller's account (invitation_email_mismatch)",
        ),
        404: problemResponseSpec("no invitation has this code"),
        409: problemResponseSpec("the meeting is over"),
        410: problemResponseSpec("the invitation expired, was revoked or is used up"),
        ...invalid,
      },
    }),
    async (c) => {
      const { code } = c.req.valid("json");
      const principal = c.get("principal");
      const email = typeof principal.claims.email === "string" ? principal.claims.email : undefined;
      const { invitation, role } = await ctx.sql.begin((tx) =>
        acceptInvitation(tx, code, { id: principal.subject, email }),
      );
      const meeting = await findMeeting(ctx.sql, invitation.meetingId);
      if (!meeting) throw new ApiError(404, "invitation_not_found", "no invitation has this code");
      return c.json(meetingView(meeting, role as "attendee"), 200);
    },
  );

  return router;
}
