import { parseRoomName } from "../../../apps/meetings/src/meetings-store.ts";
import type { World } from "./world.ts";

/**
 * What must hold in the stored state whatever ran before, read from PostgreSQL, redis-server and livekit-server.
 * Each query returns the offending rows; every row is one broken invariant, described for the report.
 */
export async function brokenInvariants(world: World): Promise<string[]> {
  const broken: string[] = [];
  const rows = async (what: string, found: Promise<Record<string, unknown>[]>) => {
    for (const row of await found) broken.push(`${what}: ${JSON.stringify(row)}`);
  };
  const m = world.meetingsDb;
  await rows(
    "invitation used more often than allowed, or uses differ from the members it admitted",
    m`select i.id, i.uses, i.max_uses, (select count(*)::int from meeting_members mm where mm.joined_via = i.id) as admitted
      from invitations i
      where i.uses > i.max_uses or i.uses <> (select count(*) from meeting_members mm where mm.joined_via = i.id)`,
  );
  await rows(
    "meeting state and its timestamps disagree",
    m`select id, state, started_at, ended_at, breakouts_open from meetings
      where (state in ('live', 'ended') and started_at is null)
         or (state in ('ended', 'cancelled') and ended_at is null)
         or (breakouts_open and state <> 'live')`,
  );
  await rows(
    "breakout rooms not numbered 1..n",
    m`select meeting_id, count(*)::int as rooms, max(number) as highest from breakout_rooms
      group by meeting_id having max(number) <> count(*)`,
  );
  await rows(
    "breakout participant who is not a current member",
    m`select a.meeting_id, a.user_id from breakout_assignments a
      left join meeting_members mm on mm.meeting_id = a.meeting_id and mm.user_id = a.user_id
      where mm.user_id is null or mm.removed_at is not null`,
  );
  await rows(
    "waiting-room decision by someone who is not a moderator of the meeting",
    m`select w.meeting_id, w.user_id, w.decided_by from waiting_room_entries w
      left join meeting_members mm on mm.meeting_id = w.meeting_id and mm.user_id = w.decided_by
      where w.decided_by is not null and (mm.role is null or mm.role not in ('host', 'co-host'))
        and not exists (select 1 from meetings x where x.id = w.meeting_id and x.owner_id = w.decided_by)`,
  );
  await rows(
    "more than one recording running in a meeting",
    m`select meeting_id, count(*)::int as running from recordings
      where status in ('starting', 'active') and deleted_at is null
      group by meeting_id having count(*) > 1`,
  );

  const meetings = await m<{ id: string; capacity: number; state: string; breakoutsOpen: boolean }[]>`
    select id, capacity, state, breakouts_open as "breakoutsOpen" from meetings`;
  const byId = new Map(meetings.map((x) => [x.id, x]));
  for (const meeting of meetings) {
    const seats = await world.redis.zcard(`gomeet:meetings:seats:{${meeting.id}}`);
    if (seats > meeting.capacity)
      broken.push(`seats over capacity: meeting ${meeting.id} has ${seats} of ${meeting.capacity}`);
    if (meeting.state !== "live" && seats > 0)
      broken.push(`seats held in a meeting that is ${meeting.state}: ${meeting.id} (${seats})`);
  }

  const breakoutNumbers = new Set(
    (await m<{ key: string }[]>`select meeting_id || ':' || number as key from breakout_rooms`).map(
      (r) => r.key,
    ),
  );
  for (const room of await world.rooms.listRooms()) {
    const parsed = parseRoomName(room.name);
    const meeting = parsed ? byId.get(parsed.meetingId) : undefined;
    if (!parsed || !meeting) {
      broken.push(`LiveKit room of no meeting: ${room.name}`);
      continue;
    }
    // Main rooms of scheduled meetings are created ahead of the start (apps/meetings/src/room-precreator.ts).
    const allowed = parsed.breakout === null ? ["scheduled", "live"] : ["live"];
    if (!allowed.includes(meeting.state))
      broken.push(`LiveKit room of a ${meeting.state} meeting: ${room.name}`);
    if (
      parsed.breakout !== null &&
      (!meeting.breakoutsOpen || !breakoutNumbers.has(`${meeting.id}:${parsed.breakout}`))
    )
      broken.push(`LiveKit breakout room that is not open: ${room.name}`);
  }

  const a = world.authDb;
  await rows(
    "open session with more than one unused refresh token (a rotation happened twice)",
    a`select s.id, count(*)::int as unused from sessions s join refresh_tokens t on t.session_id = s.id
      where s.revoked_at is null and t.used_at is null group by s.id having count(*) > 1`,
  );
  await rows(
    "disabled user with an open session",
    a`select u.id, s.id as session from users u join sessions s on s.user_id = u.id
      where u.disabled_at is not null and s.revoked_at is null`,
  );
  await rows("user without a role", a`select id, roles from users where cardinality(roles) = 0`);
  return broken;
}
