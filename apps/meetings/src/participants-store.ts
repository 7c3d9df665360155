import type { Queryable } from "../../shared/src/index.ts";

export interface PublishedTrack {
  source: string;
  type: string;
  muted: boolean;
}

export interface RoomParticipantRow {
  roomName: string;
  identity: string;
  meetingId: string;
  participantSid: string;
  state: "joined" | "left";
  joinedAt: Date;
  leftAt: Date | null;
  tracks: Record<string, PublishedTrack>;
}

const COLUMNS = `room_name as "roomName", identity, meeting_id as "meetingId", participant_sid as "participantSid",
  state, joined_at as "joinedAt", left_at as "leftAt", tracks`;

/** A join newer than what is stored replaces it (a reconnect brings a new participant sid). */
export async function recordJoined(
  sql: Queryable,
  p: {
    roomName: string;
    identity: string;
    meetingId: string;
    sid: string;
    at: Date;
    tracks?: Record<string, PublishedTrack>;
  },
): Promise<boolean> {
  const rows = await sql`
    insert into room_participants (room_name, identity, meeting_id, participant_sid, state, joined_at, event_at, tracks)
    values (${p.roomName}, ${p.identity}, ${p.meetingId}, ${p.sid}, 'joined', ${p.at}, ${p.at},
      ${sql.json((p.tracks ?? {}) as never)})
    on conflict (room_name, identity) do update set participant_sid = excluded.participant_sid, state = 'joined',
      joined_at = excluded.joined_at, left_at = null, event_at = excluded.event_at, updated_at = now(),
      tracks = case when room_participants.participant_sid = excluded.participant_sid
        then room_participants.tracks || excluded.tracks else excluded.tracks end
    where room_participants.event_at <= excluded.event_at
    returning identity`;
  return rows.length > 0;
}

/** Only the session that left is marked: a late `left` of an older sid does not end a newer session. */
export async function recordLeft(
  sql: Queryable,
  p: { roomName: string; identity: string; sid: string; at: Date },
): Promise<boolean> {
  const rows = await sql`
    update room_participants set state = 'left', left_at = ${p.at}, event_at = ${p.at}, updated_at = now()
    where room_name = ${p.roomName} and identity = ${p.identity} and participant_sid = ${p.sid}
      and state = 'joined' and event_at <= ${p.at}
    returning identity`;
  return rows.length > 0;
}

export async function recordTrack(
  sql: Queryable,
  p: { roomName: string; identity: string; sid: string; trackSid: string; track: PublishedTrack | null },
): Promise<void> {
  if (p.track) {
    await sql`update room_participants set tracks = tracks || ${sql.json({ [p.trackSid]: p.track } as never)},
      updated_at = now()
      where room_name = ${p.roomName} and identity = ${p.identity} and participant_sid = ${p.sid}`;
  } else {
    await sql`update room_participants set tracks = tracks - ${p.trackSid}, updated_at = now()
      where room_name = ${p.roomName} and identity = ${p.identity} and participant_sid = ${p.sid}`;
  }
}

export async function markRoomEmpty(sql: Queryable, roomName: string, at: Date): Promise<void> {
  await sql`update room_participants set state = 'left', left_at = ${at}, updated_at = now()
    where room_name = ${roomName} and state = 'joined'`;
}

export async function stillConnected(sql: Queryable, meetingId: string, identity: string): Promise<boolean> {
  const [row] = await sql`select 1 from room_participants
    where meeting_id = ${meetingId} and identity = ${identity} and state = 'joined' limit 1`;
  return row !== undefined;
}

export async function listRoomParticipants(
  sql: Queryable,
  meetingId: string,
  includeLeft: boolean,
): Promise<RoomParticipantRow[]> {
  return await sql.unsafe<RoomParticipantRow[]>(
    `select ${COLUMNS} from room_participants where meeting_id = $1 ${includeLeft ? "" : "and state = 'joined'"}
     order by joined_at, identity`,
    [meetingId],
  );
}
