import { ApiError } from "../../shared/src/index.ts";
import { breakoutOf } from "./breakouts-store.ts";
import { type ClientSettings, clientSettingsFor } from "./client-settings.ts";
import { mintJoinToken } from "./livekit-token.ts";
import { type MediaPermissions, mediaPermissions } from "./media-permissions.ts";
import { bypassesWaitingRoom, type MeetingRole } from "./meeting-roles.ts";
import { breakoutRoomName, findMeeting, mainRoomName, moveMeeting } from "./meetings-store.ts";
import { type MeetingsContext, meetingForMember, meetingNotFound } from "./routes/context.ts";
import { knock, queuePosition } from "./waiting-room-store.ts";

export interface JoinResult {
  kind: "joined";
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

/** The member is in the meeting's waiting room: no seat, no token, poll the join again. */
export interface WaitingResult {
  kind: "waiting";
  position: number;
  requestedAt: Date;
}

/** How long a waiting member should wait before polling again (also sent as Retry-After). */
export const WAITING_POLL_SECONDS = 3;

/**
 * A member's way into the meeting: a seat (atomic, see meeting-seats.ts), the room created on first use (so it
 * is placed and sized, see room-provisioner.ts), and a short-lived LiveKit token whose grants follow the
 * member's role, the meeting's mode and settings, and any live permission change. While breakout rooms are
 * open an assigned member's token is for their breakout room: self-hosted LiveKit cannot move participants
 * (docs/sources.md#livekit-room-service), so switching rooms is a new token and a reconnect.
 *
 * With the meeting's waiting room on, an attendee first waits (even before the meeting starts) until a moderator
 * admits them; the admission is checked on every join, so polling this call is how a waiting client learns the
 * decision. The seat is taken here, at the token step, not at admission: an admitted member who finds the meeting
 * full is refused with `meeting_full` and keeps the admission for a later try.
 */
export async function joinMeeting(
  ctx: MeetingsContext,
  meetingId: string,
  userId: string,
  /** Shown to others in the room (LiveKit participant name); the identity stays the user id. */
  displayName?: string,
): Promise<JoinResult | WaitingResult> {
  let { meeting, member } = await meetingForMember(ctx, meetingId, userId).catch((error: unknown) => {
    ctx.joins.inc({ outcome: "denied" });
    throw error;
  });
  if (meeting.state === "ended" || meeting.state === "cancelled") {
    ctx.joins.inc({ outcome: "denied" });
    throw new ApiError(409, "meeting_over", `the meeting is ${meeting.state}`);
  }
  if (meeting.waitingRoom && !bypassesWaitingRoom(member.role)) {
    const entry = await knock(ctx.sql, meetingId, userId);
    if (entry.status === "denied") {
      ctx.joins.inc({ outcome: "denied" });
      throw new ApiError(
        403,
        "admission_denied",
        "a host or co-host denied you entry from the waiting room of this meeting",
      );
    }
    if (entry.status === "waiting") {
      ctx.joins.inc({ outcome: "waiting" });
      return {
        kind: "waiting",
        position: await queuePosition(ctx.sql, entry),
        requestedAt: entry.requestedAt,
      };
    }
  }
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
    // Several first joins race here; the conditional update lets exactly one start the meeting, and the others
    // read the state it left (live, or whatever came after) instead of keeping the "scheduled" they saw.
    const started = await moveMeeting(ctx.sql, meetingId, "scheduled", "live");
    const current = started ?? (await findMeeting(ctx.sql, meetingId));
    if (!current) throw meetingNotFound(meetingId);
    meeting = current;
  }
  if (meeting.state !== "live") {
    ctx.joins.inc({ outcome: "denied" });
    throw new ApiError(409, "meeting_over", `the meeting is ${meeting.state}`);
  }

  // Without open breakouts the room is known now, so its created-room mark is read with the seat, in one trip.
  const mainRoom = meeting.breakoutsOpen ? undefined : mainRoomName(meetingId);
  const seat = await ctx.seats.admit(
    meetingId,
    userId,
    meeting.capacity,
    mainRoom ? ctx.provisioner.markKey(mainRoom) : undefined,
  );
  if (!seat.admitted) {
    ctx.joins.inc({ outcome: "full" });
    throw new ApiError(409, "meeting_full", `the meeting is full: all ${meeting.capacity} seats are taken`);
  }
  try {
    const breakout = meeting.breakoutsOpen ? await breakoutOf(ctx.sql, meetingId, userId) : undefined;
    const room = breakout ? breakoutRoomName(meetingId, breakout) : mainRoomName(meetingId);
    await ctx.provisioner.ensureRoom(
      room,
      meeting.capacity,
      { meetingId },
      undefined,
      room === mainRoom ? seat.peeked : undefined,
    );
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
      ...(displayName ? { name: displayName } : {}),
      meetingId,
      role: member.role,
      permissions,
      ttlSeconds: ctx.config.tokenTtlSeconds,
    });
    ctx.joins.inc({ outcome: "ok" });
    return {
      kind: "joined",
      url: ctx.config.livekit.url,
      token,
      expiresAt,
      room,
      breakoutRoom: breakout ?? null,
      identity: userId,
      role: member.role,
      permissions,
      clientSettings: clientSettingsFor(meeting.capacity, meeting.mode, ctx.config.videoTiles),
    };
  } catch (error) {
    ctx.joins.inc({ outcome: "error" });
    await ctx.seats.release(meetingId, userId).catch(() => undefined);
    throw error;
  }
}
