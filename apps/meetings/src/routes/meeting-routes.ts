import { createRoute, z } from "@hono/zod-openapi";
import { ApiError, createRouter, problemResponseSpec } from "../../../shared/src/index.ts";
import { canTransition, illegalTransition, type MeetingState } from "../meeting-lifecycle.ts";
import {
  breakoutRoomName,
  insertMeeting,
  listMeetingsOf,
  listMembers,
  mainRoomName,
  moveMeeting,
  setMemberRole,
  updateMeeting,
} from "../meetings-store.ts";
import {
  CreateMeetingBody,
  ListMeetingsQuery,
  MeetingIdParams,
  MeetingPageSchema,
  MeetingSchema,
  MemberParams,
  MemberSchema,
  SetRoleBody,
  UpdateMeetingBody,
} from "../schemas.ts";
import {
  bearerSecurity,
  jsonBody,
  jsonResponse,
  type MeetingsContext,
  type MeetingsRouter,
  meetingForMember,
  meetingForModerator,
} from "./context.ts";
import { meetingView, memberView } from "./views.ts";

const denied = { 401: problemResponseSpec("no valid access token") };
const notFound = { 404: problemResponseSpec("no such meeting, or the caller is not a member") };
const invalid = { 422: problemResponseSpec("a parameter or the body is invalid") };
const meetingResponse = jsonResponse("the meeting", MeetingSchema);

function encodeCursor(m: { startsAt: Date; id: string }): string {
  return Buffer.from(`${m.startsAt.toISOString()}|${m.id}`).toString("base64url");
}

function decodeCursor(cursor: string): { startsAt: Date; id: string } {
  const [iso, id] = Buffer.from(cursor, "base64url").toString("utf8").split("|");
  const startsAt = new Date(iso ?? "");
  if (!id || !/^[0-9a-f-]{36}$/.test(id) || Number.isNaN(startsAt.getTime()))
    throw new ApiError(422, "validation_failed", "invalid query: cursor: not a cursor this API returned", {
      errors: [{ field: "cursor", message: "not a cursor this API returned" }],
    });
  return { startsAt, id };
}

const STATE_FILTER: Record<string, MeetingState[]> = {
  upcoming: ["scheduled", "live"],
  all: ["scheduled", "live", "ended", "cancelled"],
};

export function meetingRoutes(ctx: MeetingsContext): MeetingsRouter {
  const router = createRouter();
  const guarded = { tags: ["meetings"], security: bearerSecurity, middleware: [ctx.requireUser] };

  router.openapi(
    createRoute({
      method: "post",
      path: "/v1/meetings",
      summary: "Schedule a meeting; the caller becomes its host",
      ...guarded,
      request: { body: jsonBody(CreateMeetingBody) },
      responses: { 201: meetingResponse, ...denied, ...invalid },
    }),
    async (c) => {
      const body = c.req.valid("json");
      const userId = c.get("principal").subject;
      const meeting = await ctx.sql.begin((tx) => insertMeeting(tx, userId, { ...body, ...body.settings }));
      return c.json(meetingView(meeting, "host"), 201);
    },
  );

  router.openapi(
    createRoute({
      method: "get",
      path: "/v1/meetings",
      summary: "List the caller's meetings (host or member), soonest first",
      ...guarded,
      request: { query: ListMeetingsQuery },
      responses: { 200: jsonResponse("a page of meetings", MeetingPageSchema), ...denied, ...invalid },
    }),
    async (c) => {
      const { state, limit, cursor } = c.req.valid("query");
      const userId = c.get("principal").subject;
      const states = STATE_FILTER[state] ?? [state as MeetingState];
      const rows = await listMeetingsOf(
        ctx.sql,
        userId,
        states,
        limit,
        cursor ? decodeCursor(cursor) : undefined,
      );
      const last = rows.at(-1);
      return c.json(
        {
          meetings: rows.map((m) => meetingView(m)),
          nextCursor: rows.length === limit && last ? encodeCursor(last) : null,
        },
        200,
      );
    },
  );

  router.openapi(
    createRoute({
      method: "get",
      path: "/v1/meetings/{id}",
      summary: "Read a meeting the caller belongs to",
      ...guarded,
      request: { params: MeetingIdParams },
      responses: {
        200: meetingResponse,
        ...denied,
        403: problemResponseSpec("removed"),
        ...notFound,
        ...invalid,
      },
    }),
    async (c) => {
      const { meeting, member } = await meetingForMember(
        ctx,
        c.req.valid("param").id,
        c.get("principal").subject,
      );
      return c.json(meetingView(meeting, member.role), 200);
    },
  );

  router.openapi(
    createRoute({
      method: "patch",
      path: "/v1/meetings/{id}",
      summary: "Change a scheduled meeting (host or co-host)",
      ...guarded,
      request: { params: MeetingIdParams, body: jsonBody(UpdateMeetingBody) },
      responses: {
        200: meetingResponse,
        ...denied,
        403: problemResponseSpec("not a host or co-host"),
        ...notFound,
        409: problemResponseSpec("the meeting is no longer scheduled"),
        ...invalid,
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const { settings, ...fields } = c.req.valid("json");
      const { meeting, member } = await meetingForModerator(
        ctx,
        id,
        c.get("principal").subject,
        "change the meeting",
      );
      if (meeting.state !== "scheduled")
        throw new ApiError(
          409,
          "invalid_transition",
          `cannot change a meeting that is ${meeting.state}: only a scheduled meeting can be changed`,
        );
      const updated = await updateMeeting(ctx.sql, id, { ...fields, ...settings });
      if (!updated)
        throw new ApiError(409, "invalid_transition", "the meeting started or was cancelled meanwhile");
      return c.json(meetingView(updated, member.role), 200);
    },
  );

  for (const transition of ["cancel", "end"] as const) {
    router.openapi(
      createRoute({
        method: "post",
        path: `/v1/meetings/{id}/${transition}`,
        summary:
          transition === "cancel"
            ? "Cancel a scheduled meeting; a room created ahead of its start is closed (host or co-host)"
            : "End a live meeting for everyone: its LiveKit rooms are closed (host or co-host)",
        ...guarded,
        request: { params: MeetingIdParams },
        responses: {
          200: meetingResponse,
          ...denied,
          403: problemResponseSpec("not a host or co-host"),
          ...notFound,
          409: problemResponseSpec("the meeting is not in a state this transition starts from"),
          ...invalid,
        },
      }),
      async (c) => {
        const { id } = c.req.valid("param");
        const { meeting, member } = await meetingForModerator(
          ctx,
          id,
          c.get("principal").subject,
          `${transition} the meeting`,
        );
        if (!canTransition(meeting.state, transition)) throw illegalTransition(meeting.state, transition);
        const moved =
          transition === "cancel"
            ? await moveMeeting(ctx.sql, id, "scheduled", "cancelled", "cancelled_by_host")
            : await moveMeeting(ctx.sql, id, "live", "ended", "ended_by_host");
        if (!moved)
          throw new ApiError(409, "invalid_transition", "the meeting changed state meanwhile; read it again");
        // An ended meeting's rooms close; a cancelled one may have a room created ahead of its start
        // (room-precreator.ts), which closes too.
        const breakouts = await ctx.sql<
          { number: number }[]
        >`select number from breakout_rooms where meeting_id = ${id}`;
        for (const name of [mainRoomName(id), ...breakouts.map((b) => breakoutRoomName(id, b.number))]) {
          await ctx.provisioner.closeRoom(name);
        }
        await ctx.seats.clear(id);
        return c.json(meetingView(moved, member.role), 200);
      },
    );
  }

  router.openapi(
    createRoute({
      method: "get",
      path: "/v1/meetings/{id}/members",
      summary: "Members of the meeting with their roles and live permission overrides",
      ...guarded,
      request: { params: MeetingIdParams },
      responses: {
        200: jsonResponse("members", z.object({ members: z.array(MemberSchema) })),
        ...denied,
        403: problemResponseSpec("removed"),
        ...notFound,
        ...invalid,
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      await meetingForMember(ctx, id, c.get("principal").subject);
      return c.json({ members: (await listMembers(ctx.sql, id)).map(memberView) }, 200);
    },
  );

  router.openapi(
    createRoute({
      method: "put",
      path: "/v1/meetings/{id}/members/{userId}/role",
      summary:
        "Make a member a co-host, presenter or attendee (host or co-host; the host keeps the host role)",
      ...guarded,
      request: { params: MemberParams, body: jsonBody(SetRoleBody) },
      responses: {
        200: jsonResponse("the member", MemberSchema),
        ...denied,
        403: problemResponseSpec("not a host or co-host"),
        404: problemResponseSpec("no such meeting or member"),
        409: problemResponseSpec("the host's role cannot change"),
        ...invalid,
      },
    }),
    async (c) => {
      const { id, userId } = c.req.valid("param");
      const { meeting } = await meetingForModerator(ctx, id, c.get("principal").subject, "change roles");
      if (userId === meeting.ownerId)
        throw new ApiError(409, "cannot_change_host", "the meeting's host keeps the host role");
      const updated = await setMemberRole(ctx.sql, id, userId, c.req.valid("json").role);
      if (!updated)
        throw new ApiError(404, "member_not_found", `user ${userId} is not a member of this meeting`);
      return c.json(memberView(updated), 200);
    },
  );

  return router;
}
