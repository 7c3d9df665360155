import { createRoute, z } from "@hono/zod-openapi";
import { ApiError, createRouter, problemResponseSpec } from "../../../shared/src/index.ts";
import { mediaPermissions } from "../media-permissions.ts";
import { findMember, markRemoved, parseRoomName, setOverrides } from "../meetings-store.ts";
import { listRoomParticipants } from "../participants-store.ts";
import {
  MeetingIdParams,
  MemberParams,
  MemberSchema,
  MuteBody,
  ParticipantSchema,
  PermissionsBody,
  TrackParams,
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
} from "./context.ts";
import { memberView } from "./views.ts";

const denied = { 401: problemResponseSpec("no valid access token") };
const moderatorOnly = { 403: problemResponseSpec("not a host or co-host") };
const invalid = { 422: problemResponseSpec("a parameter or the body is invalid") };

export function participantRoutes(ctx: MeetingsContext): MeetingsRouter {
  const router = createRouter();
  const guarded = { tags: ["participants"], security: bearerSecurity, middleware: [ctx.requireUser] };

  /** Rooms of the meeting where `userId` is connected now (from webhook state, reconciled on a timer). */
  const roomsOf = async (meetingId: string, userId: string) =>
    (await listRoomParticipants(ctx.sql, meetingId, false)).filter((p) => p.identity === userId);

  router.openapi(
    createRoute({
      method: "get",
      path: "/v1/meetings/{id}/participants",
      summary: "Who is connected now, in which room, with their published tracks",
      ...guarded,
      request: { params: MeetingIdParams },
      responses: {
        200: jsonResponse("participants", z.object({ participants: z.array(ParticipantSchema) })),
        ...denied,
        403: problemResponseSpec("removed"),
        404: problemResponseSpec("no such meeting, or the caller is not a member"),
        ...invalid,
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      await meetingForMember(ctx, id, c.get("principal").subject);
      const rows = await listRoomParticipants(ctx.sql, id, false);
      return c.json(
        {
          participants: rows.map((p) => ({
            userId: p.identity,
            room: p.roomName,
            breakoutRoom: parseRoomName(p.roomName)?.breakout ?? null,
            participantSid: p.participantSid,
            joinedAt: p.joinedAt.toISOString(),
            tracks: Object.entries(p.tracks).map(([sid, t]) => ({ sid, ...t })),
          })),
        },
        200,
      );
    },
  );

  router.openapi(
    createRoute({
      method: "post",
      path: "/v1/meetings/{id}/participants/{userId}/remove",
      summary:
        "Remove a member for good: disconnected now, tokens issued before now revoked in LiveKit, no new token ever",
      ...guarded,
      request: { params: MemberParams },
      responses: {
        200: jsonResponse("the removed member", MemberSchema),
        ...denied,
        ...moderatorOnly,
        404: problemResponseSpec("no such meeting"),
        409: problemResponseSpec("the host cannot be removed"),
        ...invalid,
      },
    }),
    async (c) => {
      const { id, userId } = c.req.valid("param");
      const { meeting } = await meetingForModerator(
        ctx,
        id,
        c.get("principal").subject,
        "remove participants",
      );
      if (userId === meeting.ownerId)
        throw new ApiError(409, "cannot_remove_host", "the meeting's host cannot be removed");
      await markRemoved(ctx.sql, id, userId);
      await ctx.announcer.announce({ kind: "participant_removed", meetingId: id, userId });
      await ctx.sql`delete from breakout_assignments where meeting_id = ${id} and user_id = ${userId}`;
      await ctx.seats.release(id, userId);
      for (const p of await roomsOf(id, userId)) await evictFromRoom(ctx, p.roomName, userId);
      const member = await findMember(ctx.sql, id, userId);
      return c.json(memberView(member!), 200);
    },
  );

  router.openapi(
    createRoute({
      method: "post",
      path: "/v1/meetings/{id}/participants/{userId}/tracks/{trackSid}/mute",
      summary: "Mute (or unmute, where the server allows remote unmute) a participant's published track",
      ...guarded,
      request: { params: TrackParams, body: jsonBody(MuteBody) },
      responses: {
        200: jsonResponse("the track", z.object({ sid: z.string(), muted: z.boolean() })),
        ...denied,
        ...moderatorOnly,
        404: problemResponseSpec("no such meeting, participant or track"),
        409: problemResponseSpec("the meeting is not live"),
        ...invalid,
        502: problemResponseSpec("LiveKit refused"),
      },
    }),
    async (c) => {
      const { id, userId, trackSid } = c.req.valid("param");
      const { muted } = c.req.valid("json");
      await meetingForModerator(ctx, id, c.get("principal").subject, "mute participants");
      const [connected] = await roomsOf(id, userId);
      if (!connected)
        throw new ApiError(404, "participant_not_connected", `user ${userId} is not in the meeting now`);
      const track = await ctx.rooms
        .mutePublishedTrack(connected.roomName, userId, trackSid, muted)
        .catch((error: unknown) => {
          throw liveKitProblem(error, "track");
        });
      return c.json({ sid: track.sid, muted: track.muted }, 200);
    },
  );

  router.openapi(
    createRoute({
      method: "put",
      path: "/v1/meetings/{id}/participants/{userId}/permissions",
      summary:
        "Grant or revoke publishing and screen sharing (null returns to the role's default); applied live and to later tokens",
      ...guarded,
      request: { params: MemberParams, body: jsonBody(PermissionsBody) },
      responses: {
        200: jsonResponse(
          "the member and whether a connected session was updated",
          MemberSchema.extend({ appliedLive: z.boolean() }),
        ),
        ...denied,
        ...moderatorOnly,
        404: problemResponseSpec("no such meeting or member"),
        ...invalid,
        502: problemResponseSpec("LiveKit refused"),
      },
    }),
    async (c) => {
      const { id, userId } = c.req.valid("param");
      const body = c.req.valid("json");
      const { meeting } = await meetingForModerator(
        ctx,
        id,
        c.get("principal").subject,
        "change permissions",
      );
      const member = await setOverrides(ctx.sql, id, userId, {
        ...(body.canPublish !== undefined ? { canPublish: body.canPublish } : {}),
        ...(body.canScreenShare !== undefined ? { canScreenShare: body.canScreenShare } : {}),
      });
      if (!member)
        throw new ApiError(404, "member_not_found", `user ${userId} is not a member of this meeting`);
      const p = mediaPermissions({
        role: member.role,
        mode: meeting.mode,
        screenShareRoles: meeting.screenShareRoles,
        canPublishOverride: member.canPublishOverride,
        canScreenShareOverride: member.canScreenShareOverride,
      });
      let appliedLive = false;
      for (const session of await roomsOf(id, userId)) {
        // LiveKit replaces the whole permission set at once (docs/sources.md#livekit-room-service), so every
        // field is sent.
        await ctx.rooms
          .updateParticipant(session.roomName, userId, {
            permission: {
              canPublish: p.canPublish,
              canSubscribe: p.canSubscribe,
              canPublishData: p.canPublishData,
              canPublishSources: p.canPublishSources,
            },
          })
          .catch((error: unknown) => {
            if ((error as { status?: number }).status !== 404) throw liveKitProblem(error, "participant");
          });
        appliedLive = true;
      }
      return c.json({ ...memberView(member), appliedLive }, 200);
    },
  );

  return router;
}

/**
 * Disconnect `identity` and revoke, for this room, every token issued before now (`revokeTokenTs`): LiveKit
 * otherwise lets a removed participant straight back in with the token they hold
 * (docs/sources.md#livekit-room-service).
 */
export async function evictFromRoom(
  ctx: Pick<MeetingsContext, "rooms">,
  room: string,
  identity: string,
): Promise<void> {
  await ctx.rooms
    .removeParticipant(room, identity, { revokeTokenTs: BigInt(Math.floor(Date.now() / 1000)) })
    .catch((error: unknown) => {
      if ((error as { status?: number }).status !== 404) throw liveKitProblem(error, "participant");
    });
}
