import { createRoute } from "@hono/zod-openapi";
import { DataPacket_Kind } from "livekit-server-sdk";
import { ApiError, createRouter, problemResponseSpec } from "../../../shared/src/index.ts";
import {
  assignBalanced,
  assignManually,
  createBreakoutRooms,
  listBreakoutRooms,
} from "../breakouts-store.ts";
import { mainRoomName } from "../meetings-store.ts";
import {
  AssignBreakoutsBody,
  BreakoutsSchema,
  BroadcastBody,
  CreateBreakoutsBody,
  MeetingIdParams,
} from "../schemas.ts";
import {
  bearerSecurity,
  jsonBody,
  jsonResponse,
  liveKitProblem,
  type MeetingsContext,
  type MeetingsRouter,
  meetingForMember,
  meetingForModerator,
  requireLive,
} from "./context.ts";

/** Data messages clients listen for on this topic: open (reconnect via /join), close, broadcast. */
export const BREAKOUT_TOPIC = "gomeet.breakouts";

const problems = {
  401: problemResponseSpec("no valid access token"),
  403: problemResponseSpec("not a host or co-host"),
  404: problemResponseSpec("no such meeting, or the caller is not a member"),
  409: problemResponseSpec("the meeting or its breakout rooms are not in a state that allows this"),
  422: problemResponseSpec("a parameter or the body is invalid"),
};

export function breakoutRoutes(ctx: MeetingsContext): MeetingsRouter {
  const router = createRouter();
  const guarded = { tags: ["breakouts"], security: bearerSecurity, middleware: [ctx.requireUser] };
  const encoder = new TextEncoder();

  const send = async (room: string, payload: object) => {
    await ctx.rooms
      .sendData(room, encoder.encode(JSON.stringify(payload)), DataPacket_Kind.RELIABLE, {
        topic: BREAKOUT_TOPIC,
      })
      .catch((error: unknown) => {
        // A room nobody has joined yet does not exist in LiveKit; there is no one to tell.
        if ((error as { status?: number }).status !== 404) throw liveKitProblem(error, "room");
      });
  };
  const view = async (meetingId: string) => {
    const [state] = await ctx.sql<
      { open: boolean }[]
    >`select breakouts_open as open from meetings where id = ${meetingId}`;
    return { open: state?.open ?? false, rooms: await listBreakoutRooms(ctx.sql, meetingId) };
  };
  const closedOnly = (open: boolean) => {
    if (open) throw new ApiError(409, "breakouts_open", "close the breakout rooms first");
  };
  const response = jsonResponse("the breakout rooms", BreakoutsSchema);

  router.openapi(
    createRoute({
      method: "get",
      path: "/v1/meetings/{id}/breakouts",
      summary: "Breakout rooms, their members, and whether they are open",
      ...guarded,
      request: { params: MeetingIdParams },
      responses: { 200: response, ...problems },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      await meetingForMember(ctx, id, c.get("principal").subject);
      return c.json(await view(id), 200);
    },
  );

  router.openapi(
    createRoute({
      method: "post",
      path: "/v1/meetings/{id}/breakouts",
      summary: "Create N breakout rooms (replacing closed ones and their assignments)",
      ...guarded,
      request: { params: MeetingIdParams, body: jsonBody(CreateBreakoutsBody) },
      responses: { 201: response, ...problems },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const { meeting } = await meetingForModerator(
        ctx,
        id,
        c.get("principal").subject,
        "manage breakout rooms",
      );
      if (meeting.state === "ended" || meeting.state === "cancelled")
        throw new ApiError(409, "meeting_over", `the meeting is ${meeting.state}`);
      closedOnly(meeting.breakoutsOpen);
      await ctx.sql.begin((tx) => createBreakoutRooms(tx, id, c.req.valid("json").count));
      return c.json(await view(id), 201);
    },
  );

  router.openapi(
    createRoute({
      method: "put",
      path: "/v1/meetings/{id}/breakouts/assignments",
      summary:
        "Assign members: manually (user → room) or balanced (every unassigned non-host member, evenly)",
      ...guarded,
      request: { params: MeetingIdParams, body: jsonBody(AssignBreakoutsBody) },
      responses: { 200: response, ...problems },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const body = c.req.valid("json");
      const { meeting } = await meetingForModerator(
        ctx,
        id,
        c.get("principal").subject,
        "manage breakout rooms",
      );
      closedOnly(meeting.breakoutsOpen);
      const rooms = await listBreakoutRooms(ctx.sql, id);
      if (rooms.length === 0) throw new ApiError(409, "no_breakout_rooms", "create breakout rooms first");
      await ctx.sql.begin((tx) =>
        body.mode === "manual" ? assignManually(tx, id, body.assignments) : assignBalanced(tx, id),
      );
      return c.json(await view(id), 200);
    },
  );

  router.openapi(
    createRoute({
      method: "post",
      path: "/v1/meetings/{id}/breakouts/open",
      summary:
        "Open the breakout rooms: each assigned member's next join token is for their room; the main room is told to reconnect",
      ...guarded,
      request: { params: MeetingIdParams },
      responses: {
        200: response,
        ...problems,
        503: problemResponseSpec("the media server could not create a room"),
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const { meeting } = await meetingForModerator(
        ctx,
        id,
        c.get("principal").subject,
        "open breakout rooms",
      );
      requireLive(meeting, "open breakout rooms");
      closedOnly(meeting.breakoutsOpen);
      const rooms = await listBreakoutRooms(ctx.sql, id);
      if (rooms.length === 0) throw new ApiError(409, "no_breakout_rooms", "create breakout rooms first");
      for (const room of rooms)
        await ctx.provisioner.ensureRoom(room.roomName, meeting.capacity, { meetingId: id });
      await ctx.sql`update meetings set breakouts_open = true, updated_at = now() where id = ${id} and state = 'live'`;
      await send(mainRoomName(id), {
        type: "breakouts_opened",
        rooms: rooms.map((r) => ({ number: r.number, name: r.name, members: r.members })),
      });
      return c.json(await view(id), 200);
    },
  );

  router.openapi(
    createRoute({
      method: "post",
      path: "/v1/meetings/{id}/breakouts/broadcast",
      summary: "Send a message to every breakout room and the main room",
      ...guarded,
      request: { params: MeetingIdParams, body: jsonBody(BroadcastBody) },
      responses: { 200: response, ...problems, 502: problemResponseSpec("LiveKit refused") },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const { message } = c.req.valid("json");
      const { meeting, member } = await meetingForModerator(ctx, id, c.get("principal").subject, "broadcast");
      if (!meeting.breakoutsOpen)
        throw new ApiError(409, "breakouts_closed", "the breakout rooms are not open");
      const rooms = await listBreakoutRooms(ctx.sql, id);
      const payload = { type: "broadcast", from: member.userId, message };
      for (const room of [mainRoomName(id), ...rooms.map((r) => r.roomName)]) await send(room, payload);
      return c.json(await view(id), 200);
    },
  );

  router.openapi(
    createRoute({
      method: "post",
      path: "/v1/meetings/{id}/breakouts/close",
      summary:
        "Close the breakout rooms: everyone is told, the rooms are closed, and the next join is the main room",
      ...guarded,
      request: { params: MeetingIdParams },
      responses: { 200: response, ...problems },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const { meeting } = await meetingForModerator(
        ctx,
        id,
        c.get("principal").subject,
        "close breakout rooms",
      );
      if (!meeting.breakoutsOpen)
        throw new ApiError(409, "breakouts_closed", "the breakout rooms are not open");
      await ctx.sql`update meetings set breakouts_open = false, updated_at = now() where id = ${id}`;
      for (const room of await listBreakoutRooms(ctx.sql, id)) {
        await send(room.roomName, { type: "breakouts_closed", reconnectTo: "main" });
        // Deleting the room disconnects whoever is left; their client rejoins through /join.
        await ctx.rooms.deleteRoom(room.roomName).catch(() => undefined);
        await ctx.provisioner.forget(room.roomName);
      }
      return c.json(await view(id), 200);
    },
  );

  return router;
}
