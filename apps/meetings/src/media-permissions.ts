import { TrackSource } from "livekit-server-sdk";
import type { MeetingMode, MeetingRole } from "./meeting-roles.ts";

/** What a member may do in the SFU, derived from role, mode, the meeting's settings and live overrides. */
export interface MediaPermissions {
  canPublish: boolean;
  canSubscribe: boolean;
  canPublishData: boolean;
  /** Explicit list: with canPublish, an empty list means "every source" (docs/sources.md#livekit-grants). */
  canPublishSources: TrackSource[];
  roomAdmin: boolean;
}

export interface PermissionInputs {
  role: MeetingRole;
  mode: MeetingMode;
  screenShareRoles: readonly MeetingRole[];
  canPublishOverride: boolean | null;
  canScreenShareOverride: boolean | null;
}

export function mediaPermissions(input: PermissionInputs): MediaPermissions {
  const moderator = input.role === "host" || input.role === "co-host";
  const subscribeOnly = input.mode === "webinar" && input.role === "attendee";
  const publishesCamera = input.canPublishOverride ?? !subscribeOnly;
  const sharesScreen =
    input.canScreenShareOverride ?? (!subscribeOnly && input.screenShareRoles.includes(input.role));
  const sources = [
    ...(publishesCamera ? [TrackSource.CAMERA, TrackSource.MICROPHONE] : []),
    // A screen share carries its own audio track; both go together.
    ...(sharesScreen ? [TrackSource.SCREEN_SHARE, TrackSource.SCREEN_SHARE_AUDIO] : []),
  ];
  return {
    canPublish: sources.length > 0,
    canSubscribe: true,
    canPublishData: !subscribeOnly || sources.length > 0,
    canPublishSources: sources,
    roomAdmin: moderator,
  };
}
