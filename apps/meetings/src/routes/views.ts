import type { InvitationRow } from "../invitations-store.ts";
import type { MeetingRole } from "../meeting-roles.ts";
import type { MeetingRow, MemberRow } from "../meetings-store.ts";
import type { RecordingRow } from "../recordings-store.ts";

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function meetingView(m: MeetingRow, myRole?: MeetingRole) {
  return {
    id: m.id,
    ownerId: m.ownerId,
    title: m.title,
    startsAt: m.startsAt.toISOString(),
    durationMinutes: m.durationMinutes,
    capacity: m.capacity,
    mode: m.mode,
    settings: {
      recordingAllowed: m.recordingAllowed,
      recordingRoles: m.recordingRoles,
      screenShareRoles: m.screenShareRoles,
      waitingRoom: m.waitingRoom,
    },
    state: m.state,
    breakoutsOpen: m.breakoutsOpen,
    startedAt: iso(m.startedAt),
    endedAt: iso(m.endedAt),
    endedReason: m.endedReason,
    ...(myRole ? { myRole } : {}),
  };
}

export function memberView(m: MemberRow) {
  return {
    userId: m.userId,
    role: m.role,
    canPublish: m.canPublishOverride,
    canScreenShare: m.canScreenShareOverride,
    removed: m.removedAt !== null,
  };
}

export function invitationView(i: InvitationRow) {
  return {
    id: i.id,
    meetingId: i.meetingId,
    kind: i.kind,
    email: i.email,
    role: i.role,
    maxUses: i.maxUses,
    uses: i.uses,
    expiresAt: i.expiresAt.toISOString(),
    revoked: i.revokedAt !== null,
  };
}

export function recordingView(r: RecordingRow) {
  return {
    id: r.id,
    meetingId: r.meetingId,
    egressId: r.egressId,
    status: r.status,
    error: r.error,
    startedBy: r.startedBy,
    startedAt: r.startedAt.toISOString(),
    endedAt: iso(r.endedAt),
  };
}
