import { createRoute } from "@hono/zod-openapi";
import { DataPacket_Kind } from "livekit-server-sdk";
import { ApiError, createRouter, problemResponseSpec, type Queryable } from "../../../shared/src/index.ts";
import {
  assignBalanced,
  assignManually,
  createBreakoutRooms,
  listBreakoutRooms,
} from "../breakouts-store.ts";
import { findMeeting, type MeetingRow, mainRoomName } from "../meetings-store.ts";
import { deleteRoomIfPresent } from "../room-deletion.ts";
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
  meetingNotFound,
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
  const view = async (meetingId: string, sql: Queryable = ctx.sql) => {
    const [state] = await sql<
      { open: boolean }[]
    >`select breakouts_open as open from meetings where id = ${meetingId}`;
    return { open: state?.open ?? false, rooms: await listBreakoutRooms(sql, meetingId) };
  };
  /**
   * Changes to one meeting's breakout rooms run one at a time: each takes the meeting row's lock and decides on
   * the state it reads under that lock, so a request that waited sees what the one before it did (and two
   * closes cannot both delete the same LiveKit rooms). The lock is held across the LiveKit calls of open and
   * close on purpose: their outcome is part of the change. A failure rolls the change back.
   */
  const underMeetingLock = <T>(
    meetingId: string,
    change: (tx: Queryable, meeting: MeetingRow) => Promise<T>,
  ): Promise<T> =>
    ctx.sql.begin(async (tx) => {
      const meeting = await findMeeting(tx, meetingId, true);
      if (!meeting) throw meetingNotFound(meetingId);
      return await change(tx, meeting);
    }) as Promise<T>;
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
      const { count } = c.req.valid("json");
      await meetingForModerator(ctx, id, c.get("principal").subject, "manage breakout rooms");
      const created = await underMeetingLock(id, async (tx, meeting) => {
        if (meeting.state === "ended" || meeting.state === "cancelled")
          throw new ApiError(409, "meeting_over", `the meeting is ${meeting.state}`);
        closedOnly(meeting.breakoutsOpen);
        await createBreakoutRooms(tx, id, count);
        return await view(id, tx);
      });
      return c.json(created, 201);
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
      await meetingForModerator(ctx, id, c.get("principal").subject, "manage breakout rooms");
      const assigned = await underMeetingLock(id, async (tx, meeting) => {
        closedOnly(meeting.breakoutsOpen);
        const rooms = await listBreakoutRooms(tx, id);
        if (rooms.length === 0) throw new ApiError(409, "no_breakout_rooms", "create breakout rooms first");
        if (body.mode === "manual") await assignManually(tx, id, body.assignments);
        else await assignBalanced(tx, id);
        return await view(id, tx);
      });
      return c.json(assigned, 200);
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
        502: problemResponseSpec("the rooms are open but LiveKit refused the announcement to the main room"),
        503: problemResponseSpec("the media server could not create a room"),
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      await meetingForModerator(ctx, id, c.get("principal").subject, "open breakout rooms");
      const opened = await underMeetingLock(id, async (tx, meeting) => {
        requireLive(meeting, "open breakout rooms");
        closedOnly(meeting.breakoutsOpen);
        const rooms = await listBreakoutRooms(tx, id);
        if (rooms.length === 0) throw new ApiError(409, "no_breakout_rooms", "create breakout rooms first");
        for (const room of rooms)
          await ctx.provisioner.ensureRoom(room.roomName, meeting.capacity, { meetingId: id });
        await tx`update meetings set breakouts_open = true, updated_at = now() where id = ${id}`;
        return await view(id, tx);
      });
      // Announced only after the commit: a client that hears it asks /join for its room at once, and /join reads
      // the meeting without waiting for this lock, so before the commit it would still hand out the main room.
      try {
        await send(mainRoomName(id), {
          type: "breakouts_opened",
          rooms: opened.rooms.map((r) => ({ number: r.number, name: r.name, members: r.members })),
        });
      } catch (error) {
        throw new ApiError(
          502,
          "breakouts_not_announced",
          `the breakout rooms are open but the main room could not be told (${(error as Error).message}); close and open them again`,
        );
      }
      return c.json(opened, 200);
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
      const { member } = await meetingForModerator(ctx, id, c.get("principal").subject, "broadcast");
      // A shared lock: broadcasts run side by side, but never while the rooms are being opened or closed.
      const sent = await ctx.sql.begin(async (tx) => {
        const [row] = await tx<{ open: boolean }[]>`
          select breakouts_open as open from meetings where id = ${id} for share`;
        if (!row) throw meetingNotFound(id);
        if (!row.open) throw new ApiError(409, "breakouts_closed", "the breakout rooms are not open");
        const rooms = await listBreakoutRooms(tx, id);
        const payload = { type: "broadcast", from: member.userId, message };
        for (const room of [mainRoomName(id), ...rooms.map((r) => r.roomName)]) await send(room, payload);
        return await view(id, tx);
      });
      return c.json(sent, 200);
    },
  );

  router.openapi(
    createRoute({
      method: "post",
      path: "/v1/meetings/{id}/breakouts/close",
      summary:
        "Close the breakout rooms: everyone is told, the rooms are closed, and the next join is the main room (closing closed rooms changes nothing)",
      ...guarded,
      request: { params: MeetingIdParams },
      responses: {
        200: response,
        ...problems,
        502: problemResponseSpec("LiveKit could not close a breakout room (nothing changed)"),
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      await meetingForModerator(ctx, id, c.get("principal").subject, "close breakout rooms");
      const closed = await underMeetingLock(id, async (tx, meeting) => {
        // Idempotent: whoever comes second finds them closed, which is what they asked for.
        if (!meeting.breakoutsOpen) return await view(id, tx);
        await tx`update meetings set breakouts_open = false, updated_at = now() where id = ${id}`;
        for (const room of await listBreakoutRooms(tx, id)) {
          await send(room.roomName, { type: "breakouts_closed", reconnectTo: "main" }).catch(
            (error: unknown) =>
              // Deleting the room disconnects whoever is left anyway; their client rejoins through /join.
              ctx.logger.warn("breakouts_closed message not delivered", {
                room: room.roomName,
                error: (error as Error).message,
              }),
          );
          await deleteRoomIfPresent(ctx.rooms, room.roomName);
          await ctx.provisioner.forget(room.roomName);
        }
        return await view(id, tx);
      });
      return c.json(closed, 200);
    },
  );

  return router;
}
