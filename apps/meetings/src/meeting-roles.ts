/** Meeting-level roles (distinct from the organisation roles in the access token). */
export const MEETING_ROLES = ["host", "co-host", "presenter", "attendee"] as const;
export type MeetingRole = (typeof MEETING_ROLES)[number];

/** Roles an invitation may carry: the host role is never handed out, it belongs to the meeting's owner. */
export const INVITABLE_ROLES = ["co-host", "presenter", "attendee"] as const;
export type InvitableRole = (typeof INVITABLE_ROLES)[number];

export const MEETING_MODES = ["meeting", "webinar"] as const;
export type MeetingMode = (typeof MEETING_MODES)[number];

/** Who runs the meeting: invite, remove, mute, change permissions, breakouts, end. */
export function isModerator(role: MeetingRole): boolean {
  return role === "host" || role === "co-host";
}
