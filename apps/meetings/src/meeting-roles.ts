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

/**
 * Roles the waiting room lets straight in: the moderators who run it, and presenters, whom a moderator already
 * chose by inviting them with that role (a webinar's speakers must not queue behind its audience). Attendees
 * wait until a moderator admits them.
 */
export function bypassesWaitingRoom(role: MeetingRole): boolean {
  return role !== "attendee";
}
