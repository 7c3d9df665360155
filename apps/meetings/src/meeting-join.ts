import { ApiError } from "../../shared/src/index.ts";
import { breakoutOf } from "./breakouts-store.ts";
import { type ClientSettings, clientSettingsFor } from "./client-settings.ts";
import { mintJoinToken } from "./livekit-token.ts";
import { type MediaPermissions, mediaPermissions } from "./media-permissions.ts";
import type { MeetingRole } from "./meeting-roles.ts";
import { breakoutRoomName, mainRoomName, moveMeeting } from "./meetings-store.ts";
import { type MeetingsContext, meetingForMember } from "./routes/context.ts";

export interface JoinResult {
  url: string;
  token: string;
  expiresAt: Date;
  room: string;
  breakoutRoom: number | null;
  identity: string;
  role: MeetingRole;
  permissions: MediaPermissions;
  clientSettings: ClientSettings;
}

/**
 * A member's way into the meeting: a seat (atomic, see meeting-seats.ts), the room created on first use (so it
 * is placed and sized, see room-provisioner.ts), and a short-lived LiveKit token whose grants follow the
 * member's role, the meeting's mode and settings, and any live permission change. While breakout rooms are
 * open an assigned member's token is for their breakout room: self-hosted LiveKit cannot move participants
 * (services.md §5.3), so switching rooms is a new token and a reconnect.
 */
export async function joinMeeting(
  ctx: MeetingsContext,
  meetingId: string,
  userId: string,
): Promise<JoinResult> {
  let { meeting, member } = await meetingForMember(ctx, meetingId, userId).catch((error: unknown) => {
    ctx.joins.inc({ outcome: "denied" });
    throw error;
  });
  const moderator = member.role === "host" || member.role === "co-host";
  if (meeting.state === "scheduled") {
    if (!moderator) {
      ctx.joins.inc({ outcome: "denied" });
      throw new ApiError(
        409,
        "meeting_not_started",
        "the meeting has not started: the host or a co-host starts it by joining",
      );
    }
    meeting = (await moveMeeting(ctx.sql, meetingId, "scheduled", "live")) ?? meeting;
  }
  if (meeting.state !== "live") {
    ctx.joins.inc({ outcome: "denied" });
    throw new ApiError(409, "meeting_over", `the meeting is ${meeting.state}`);
  }

  const seat = await ctx.seats.admit(meetingId, userId, meeting.capacity);
  if (!seat.admitted) {
    ctx.joins.inc({ outcome: "full" });
    throw new ApiError(409, "meeting_full", `the meeting is full: all ${meeting.capacity} seats are taken`);
  }
  try {
    const breakout = meeting.breakoutsOpen ? await breakoutOf(ctx.sql, meetingId, userId) : undefined;
    const room = breakout ? breakoutRoomName(meetingId, breakout) : mainRoomName(meetingId);
    await ctx.provisioner.ensureRoom(room, meeting.capacity, { meetingId });
    const permissions = mediaPermissions({
      role: member.role,
      mode: meeting.mode,
      screenShareRoles: meeting.screenShareRoles,
      canPublishOverride: member.canPublishOverride,
      canScreenShareOverride: member.canScreenShareOverride,
    });
    const { token, expiresAt } = await mintJoinToken({
      apiKey: ctx.config.livekit.apiKey,
      apiSecret: ctx.config.livekit.apiSecret,
      room,
      identity: userId,
      meetingId,
      role: member.role,
      permissions,
      ttlSeconds: ctx.config.tokenTtlSeconds,
    });
    ctx.joins.inc({ outcome: "ok" });
    return {
      url: ctx.config.livekit.url,
      token,
      expiresAt,
      room,
      breakoutRoom: breakout ?? null,
      identity: userId,
      role: member.role,
      permissions,
      clientSettings: clientSettingsFor(meeting.capacity, meeting.mode),
    };
  } catch (error) {
    ctx.joins.inc({ outcome: "error" });
    await ctx.seats.release(meetingId, userId).catch(() => undefined);
    throw error;
  }
}
