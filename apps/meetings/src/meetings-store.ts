import type { Queryable } from "../../shared/src/index.ts";
import type { MeetingState } from "./meeting-lifecycle.ts";
import type { MeetingMode, MeetingRole } from "./meeting-roles.ts";

export interface MeetingRow {
  id: string;
  ownerId: string;
  title: string;
  startsAt: Date;
  durationMinutes: number;
  capacity: number;
  mode: MeetingMode;
  recordingAllowed: boolean;
  recordingRoles: MeetingRole[];
  screenShareRoles: MeetingRole[];
  waitingRoom: boolean;
  state: MeetingState;
  roomSid: string | null;
  breakoutsOpen: boolean;
  startedAt: Date | null;
  endedAt: Date | null;
  endedReason: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface MemberRow {
  meetingId: string;
  userId: string;
  role: MeetingRole;
  canPublishOverride: boolean | null;
  canScreenShareOverride: boolean | null;
  removedAt: Date | null;
  createdAt: Date;
}

const MEETING_COLUMNS = `id, owner_id as "ownerId", title, starts_at as "startsAt",
  duration_minutes as "durationMinutes", capacity, mode, recording_allowed as "recordingAllowed",
  recording_roles as "recordingRoles", screen_share_roles as "screenShareRoles", waiting_room as "waitingRoom",
  state, room_sid as "roomSid", breakouts_open as "breakoutsOpen", started_at as "startedAt",
  ended_at as "endedAt", ended_reason as "endedReason", created_at as "createdAt", updated_at as "updatedAt"`;

export interface MeetingSettings {
  recordingAllowed: boolean;
  recordingRoles: MeetingRole[];
  screenShareRoles: MeetingRole[];
  waitingRoom: boolean;
}

export interface NewMeeting extends MeetingSettings {
  title: string;
  startsAt: Date;
  durationMinutes: number;
  capacity: number;
  mode: MeetingMode;
}

/** The LiveKit room of the main meeting; breakout rooms append `-b<number>` (webhooks map names back). */
export const mainRoomName = (meetingId: string) => `meeting-${meetingId}`;
export const breakoutRoomName = (meetingId: string, n: number) => `meeting-${meetingId}-b${n}`;

const ROOM_NAME = /^meeting-([0-9a-f-]{36})(?:-b(\d+))?$/;
export function parseRoomName(name: string): { meetingId: string; breakout: number | null } | null {
  const match = ROOM_NAME.exec(name);
  if (!match?.[1]) return null;
  return { meetingId: match[1], breakout: match[2] ? Number(match[2]) : null };
}

export async function insertMeeting(sql: Queryable, ownerId: string, m: NewMeeting): Promise<MeetingRow> {
  const [row] = await sql.unsafe<MeetingRow[]>(
    `insert into meetings (owner_id, title, starts_at, duration_minutes, capacity, mode, recording_allowed,
       recording_roles, screen_share_roles, waiting_room)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) returning ${MEETING_COLUMNS}`,
    [
      ownerId,
      m.title,
      m.startsAt,
      m.durationMinutes,
      m.capacity,
      m.mode,
      m.recordingAllowed,
      m.recordingRoles,
      m.screenShareRoles,
      m.waitingRoom,
    ] as never[],
  );
  await sql`insert into meeting_members (meeting_id, user_id, role) values (${row!.id}, ${ownerId}, 'host')`;
  return row!;
}

export async function findMeeting(
  sql: Queryable,
  id: string,
  forUpdate = false,
): Promise<MeetingRow | undefined> {
  const [row] = await sql.unsafe<MeetingRow[]>(
    `select ${MEETING_COLUMNS} from meetings where id = $1${forUpdate ? " for update" : ""}`,
    [id],
  );
  return row;
}

export const QUALIFIED_MEETING_COLUMNS = MEETING_COLUMNS.split(",")
  .map((column) => `m.${column.trim()}`)
  .join(", ");

/**
 * The meeting and the user's membership in one round trip (a join runs this on every request; two queries cost
 * two round trips and two executions on the same cores). `member` is undefined for a non-member.
 */
/** A meeting and the caller's membership row, each undefined when there is none. */
export interface MeetingAndMember {
  meeting: MeetingRow | undefined;
  member: MemberRow | undefined;
}

/** A row of the meeting's columns plus the `member…` columns of a left-joined membership, as the two rows. */
export function splitMemberColumns(row: Record<string, unknown>): {
  meeting: MeetingRow;
  member: MemberRow | undefined;
} {
  const {
    memberUserId,
    memberRole,
    memberCanPublishOverride,
    memberCanScreenShareOverride,
    memberRemovedAt,
    memberCreatedAt,
    ...meeting
  } = row as unknown as MeetingRow & MemberColumns;
  const member =
    memberUserId === null
      ? undefined
      : {
          meetingId: meeting.id,
          userId: memberUserId,
          role: memberRole as MeetingRole,
          canPublishOverride: memberCanPublishOverride,
          canScreenShareOverride: memberCanScreenShareOverride,
          removedAt: memberRemovedAt,
          createdAt: memberCreatedAt as Date,
        };
  return { meeting, member };
}

interface MemberColumns {
  memberUserId: string | null;
  memberRole: MeetingRole | null;
  memberCanPublishOverride: boolean | null;
  memberCanScreenShareOverride: boolean | null;
  memberRemovedAt: Date | null;
  memberCreatedAt: Date | null;
}

export async function findMember(
  sql: Queryable,
  meetingId: string,
  userId: string,
): Promise<MemberRow | undefined> {
  const [row] = await sql<MemberRow[]>`
    select meeting_id as "meetingId", user_id as "userId", role, can_publish_override as "canPublishOverride",
      can_screen_share_override as "canScreenShareOverride", removed_at as "removedAt", created_at as "createdAt"
    from meeting_members where meeting_id = ${meetingId} and user_id = ${userId}`;
  return row;
}

export async function listMembers(sql: Queryable, meetingId: string): Promise<MemberRow[]> {
  return await sql<MemberRow[]>`
    select meeting_id as "meetingId", user_id as "userId", role, can_publish_override as "canPublishOverride",
      can_screen_share_override as "canScreenShareOverride", removed_at as "removedAt", created_at as "createdAt"
    from meeting_members where meeting_id = ${meetingId} order by created_at, user_id`;
}

/** Meetings the user belongs to (and was not removed from), soonest first, a page at a time. */
export async function listMeetingsOf(
  sql: Queryable,
  userId: string,
  states: readonly MeetingState[],
  limit: number,
  after: { startsAt: Date; id: string } | undefined,
): Promise<MeetingRow[]> {
  const cols = MEETING_COLUMNS.replace(/(^|,\s*)(\w+)/g, "$1m.$2");
  return await sql.unsafe<MeetingRow[]>(
    `select ${cols} from meetings m join meeting_members mm on mm.meeting_id = m.id
     where mm.user_id = $1 and mm.removed_at is null and m.state = any($2)
       and ($3::timestamptz is null or (m.starts_at, m.id) > ($3::timestamptz, $4::uuid))
     order by m.starts_at, m.id limit $5`,
    [userId, states as string[], after?.startsAt ?? null, after?.id ?? null, limit] as never[],
  );
}

export async function updateMeeting(
  sql: Queryable,
  id: string,
  patch: Partial<NewMeeting>,
): Promise<MeetingRow | undefined> {
  const columns: Record<keyof NewMeeting, string> = {
    title: "title",
    startsAt: "starts_at",
    durationMinutes: "duration_minutes",
    capacity: "capacity",
    mode: "mode",
    recordingAllowed: "recording_allowed",
    recordingRoles: "recording_roles",
    screenShareRoles: "screen_share_roles",
    waitingRoom: "waiting_room",
  };
  const sets: string[] = [];
  const values: unknown[] = [id];
  for (const [key, column] of Object.entries(columns) as [keyof NewMeeting, string][]) {
    if (patch[key] === undefined) continue;
    values.push(patch[key]);
    sets.push(`${column} = $${values.length}`);
  }
  const [row] = await sql.unsafe<MeetingRow[]>(
    `update meetings set ${[...sets, "updated_at = now()"].join(", ")}
     where id = $1 and state = 'scheduled' returning ${MEETING_COLUMNS}`,
    values as never[],
  );
  return row;
}

/** A conditional state change: undefined when the meeting was not in `from` any more (someone else moved it). */
export async function moveMeeting(
  sql: Queryable,
  id: string,
  from: MeetingState,
  to: MeetingState,
  reason?: string,
): Promise<MeetingRow | undefined> {
  const [row] = await sql.unsafe<MeetingRow[]>(
    `update meetings set state = $3, updated_at = now(),
       started_at = case when $3 = 'live' then now() else started_at end,
       ended_at = case when $3 in ('ended', 'cancelled') then now() else ended_at end,
       ended_reason = case when $3 in ('ended', 'cancelled') then $4 else ended_reason end,
       breakouts_open = case when $3 = 'live' then breakouts_open else false end
     where id = $1 and state = $2 returning ${MEETING_COLUMNS}`,
    [id, from, to, reason ?? null],
  );
  return row;
}

export async function setRoomSid(sql: Queryable, id: string, sid: string): Promise<void> {
  await sql`update meetings set room_sid = ${sid}, updated_at = now() where id = ${id}`;
}

export async function setMemberRole(
  sql: Queryable,
  meetingId: string,
  userId: string,
  role: MeetingRole,
): Promise<MemberRow | undefined> {
  const [row] = await sql<{ userId: string }[]>`
    update meeting_members set role = ${role} where meeting_id = ${meetingId} and user_id = ${userId}
      and removed_at is null returning user_id as "userId"`;
  return row ? await findMember(sql, meetingId, userId) : undefined;
}

export async function setOverrides(
  sql: Queryable,
  meetingId: string,
  userId: string,
  overrides: { canPublish?: boolean | null; canScreenShare?: boolean | null },
): Promise<MemberRow | undefined> {
  const current = await findMember(sql, meetingId, userId);
  if (!current || current.removedAt) return undefined;
  const publish = overrides.canPublish === undefined ? current.canPublishOverride : overrides.canPublish;
  const screen =
    overrides.canScreenShare === undefined ? current.canScreenShareOverride : overrides.canScreenShare;
  await sql`update meeting_members set can_publish_override = ${publish}, can_screen_share_override = ${screen}
    where meeting_id = ${meetingId} and user_id = ${userId}`;
  return await findMember(sql, meetingId, userId);
}

/** Removal is permanent for the meeting: the row stays so the member can never rejoin, even by a new invite. */
export async function markRemoved(sql: Queryable, meetingId: string, userId: string): Promise<void> {
  await sql`
    insert into meeting_members (meeting_id, user_id, role, removed_at)
    values (${meetingId}, ${userId}, 'attendee', now())
    on conflict (meeting_id, user_id) do update set removed_at = coalesce(meeting_members.removed_at, now())`;
}
