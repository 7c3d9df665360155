import { createRoute } from "@hono/zod-openapi";
import { ApiError, createRouter, problemResponseSpec } from "../../../shared/src/index.ts";
import type { MeetingRow } from "../meetings-store.ts";
import { MeetingIdParams, MemberParams } from "../schemas.ts";
import { AdmittedAllSchema, WaitingEntrySchema, WaitingListSchema } from "../waiting-room-schemas.ts";
import {
  admitAllWaiting,
  decide,
  listWaiting,
  type WaitingDecision,
  type WaitingEntryRow,
} from "../waiting-room-store.ts";
import {
  bearerSecurity,
  jsonResponse,
  type MeetingsContext,
  type MeetingsRouter,
  meetingForModerator,
} from "./context.ts";

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function waitingEntryView(e: WaitingEntryRow) {
  return {
    userId: e.userId,
    status: e.status,
    requestedAt: e.requestedAt.toISOString(),
    lastSeenAt: e.lastSeenAt.toISOString(),
    decidedAt: iso(e.decidedAt),
    decidedBy: e.decidedBy,
  };
}

const common = {
  401: problemResponseSpec("no valid access token"),
  403: problemResponseSpec("not a host or co-host, or removed from the meeting"),
  422: problemResponseSpec("id or userId is not a UUID"),
};

/** Decisions are for meetings that can still be joined; an ended or cancelled meeting's queue is closed. */
function requireOpen(meeting: MeetingRow, action: string): void {
  if (meeting.state === "ended" || meeting.state === "cancelled")
    throw new ApiError(409, "meeting_over", `cannot ${action}: the meeting is ${meeting.state}`);
}

/**
 * The moderators' side of the waiting room (the attendees' side is the join, see meeting-join.ts). Only the
 * meeting's host and co-hosts may see or decide; every decision is idempotent and final.
 */
export function waitingRoomRoutes(ctx: MeetingsContext): MeetingsRouter {
  const router = createRouter();
  const guarded = { tags: ["waiting room"], security: bearerSecurity, middleware: [ctx.requireUser] };

  router.openapi(
    createRoute({
      method: "get",
      path: "/v1/meetings/{id}/waiting",
      summary: "Who waits in the meeting's waiting room now, longest first",
      ...guarded,
      request: { params: MeetingIdParams },
      responses: {
        200: jsonResponse("the waiting members", WaitingListSchema),
        ...common,
        404: problemResponseSpec("no such meeting, or the caller is not a member"),
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      await meetingForModerator(ctx, id, c.get("principal").subject, "see the waiting room");
      const waiting = await listWaiting(ctx.sql, id);
      return c.json({ waiting: waiting.map(waitingEntryView) }, 200);
    },
  );

  router.openapi(
    createRoute({
      method: "post",
      path: "/v1/meetings/{id}/waiting/admit-all",
      summary: "Admit everyone waiting now; answers the entries this call admitted (none on a repeat)",
      ...guarded,
      request: { params: MeetingIdParams },
      responses: {
        200: jsonResponse("the entries admitted by this call", AdmittedAllSchema),
        ...common,
        404: problemResponseSpec("no such meeting, or the caller is not a member"),
        409: problemResponseSpec("the meeting is over"),
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const moderatorId = c.get("principal").subject;
      const { meeting } = await meetingForModerator(ctx, id, moderatorId, "admit from the waiting room");
      requireOpen(meeting, "admit from the waiting room");
      const admitted = await admitAllWaiting(ctx.sql, id, moderatorId);
      for (const entry of admitted)
        await ctx.announcer.announce({
          kind: "waiting_decided",
          meetingId: id,
          userId: entry.userId,
          status: "admitted",
        });
      return c.json({ admitted: admitted.map(waitingEntryView) }, 200);
    },
  );

  const decisionRoute = (decision: WaitingDecision, verb: "admit" | "deny", summary: string) =>
    router.openapi(
      createRoute({
        method: "post",
        path: `/v1/meetings/{id}/waiting/{userId}/${verb}`,
        summary,
        ...guarded,
        request: { params: MemberParams },
        responses: {
          200: jsonResponse(`the entry, ${decision} (also when it already was)`, WaitingEntrySchema),
          ...common,
          404: problemResponseSpec("no such meeting, or userId is not in its waiting room"),
          409: problemResponseSpec("the opposite decision was already taken, or the meeting is over"),
        },
      }),
      async (c) => {
        const { id, userId } = c.req.valid("param");
        const moderatorId = c.get("principal").subject;
        const { meeting } = await meetingForModerator(ctx, id, moderatorId, `${verb} from the waiting room`);
        requireOpen(meeting, `${verb} from the waiting room`);
        const outcome = await decide(ctx.sql, id, userId, decision, moderatorId);
        if (outcome.kind === "not_waiting")
          throw new ApiError(
            404,
            "waiting_entry_not_found",
            `userId ${userId} has not asked to join this meeting through its waiting room`,
            { errors: [{ field: "userId", message: `not in the waiting room: ${userId}` }] },
          );
        if (outcome.kind === "conflict")
          throw new ApiError(
            409,
            "invalid_transition",
            outcome.entry.status === "denied"
              ? `cannot admit userId ${userId}: they were denied, and a denial is final`
              : `cannot deny userId ${userId}: they were already admitted; remove them with POST /v1/meetings/${id}/participants/${userId}/remove`,
            { errors: [{ field: "userId", message: `already ${outcome.entry.status}: ${userId}` }] },
          );
        if (outcome.kind === "decided")
          await ctx.announcer.announce({ kind: "waiting_decided", meetingId: id, userId, status: decision });
        return c.json(waitingEntryView(outcome.entry), 200);
      },
    );
  decisionRoute("admitted", "admit", "Admit a waiting member: their next join returns a token (idempotent)");
  decisionRoute("denied", "deny", "Deny a waiting member: every later join answers 403 admission_denied");

  return router;
}
