import type { RoomServiceClient } from "livekit-server-sdk";
import type { Logger, Sql } from "../../shared/src/index.ts";
import { trackOf } from "./livekit-webhooks.ts";
import type { MeetingSeats } from "./meeting-seats.ts";
import { breakoutRoomName, mainRoomName, moveMeeting } from "./meetings-store.ts";
import { recordJoined } from "./participants-store.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Webhooks can be lost (LiveKit docs, "Webhooks", https://docs.livekit.io/server/webhooks/: "no guarantees
 * around delivery"), so every live meeting's rooms are
 * compared with what LiveKit reports: participants it lists are joined, those it no longer lists have left,
 * the seat ledger is rebuilt from the list, and a meeting whose room is gone has ended.
 */
export class ParticipantReconciler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly deps: { sql: Sql; rooms: RoomServiceClient; seats: MeetingSeats; logger: Logger },
  ) {}

  start(intervalSeconds: number): void {
    this.timer = setInterval(() => {
      if (!this.running) {
        this.running = this.reconcileAll()
          .catch((error) => this.deps.logger.warn("reconcile failed", { error: (error as Error).message }))
          .finally(() => {
            this.running = undefined;
          });
      }
    }, intervalSeconds * 1000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  async reconcileAll(): Promise<void> {
    const live = await this.deps.sql<{ id: string; roomSid: string | null; breakoutsOpen: boolean }[]>`
      select id, room_sid as "roomSid", breakouts_open as "breakoutsOpen" from meetings where state = 'live'`;
    for (const meeting of live) await this.reconcileMeeting(meeting);
  }

  async reconcileMeeting(meeting: {
    id: string;
    roomSid: string | null;
    breakoutsOpen: boolean;
  }): Promise<void> {
    const { sql, rooms, seats } = this.deps;
    const breakouts = await sql<{ number: number }[]>`
      select number from breakout_rooms where meeting_id = ${meeting.id}`;
    const names = [mainRoomName(meeting.id), ...breakouts.map((b) => breakoutRoomName(meeting.id, b.number))];
    const existing = new Set((await rooms.listRooms(names)).map((r) => r.name));
    if (meeting.roomSid && !existing.has(mainRoomName(meeting.id))) {
      await moveMeeting(sql, meeting.id, "live", "ended", "room_gone");
      await sql`update room_participants set state = 'left', left_at = now() where meeting_id = ${meeting.id}
        and state = 'joined'`;
      await seats.clear(meeting.id);
      this.deps.logger.info("meeting ended: its room is gone", { meetingId: meeting.id });
      return;
    }
    const connected: string[] = [];
    const now = new Date();
    for (const roomName of names) {
      const present = existing.has(roomName) ? await rooms.listParticipants(roomName) : [];
      const identities = present.filter((p) => p.kind === 0 && UUID.test(p.identity));
      for (const p of identities) {
        connected.push(p.identity);
        const joinedAt = new Date(Number(p.joinedAt) * 1000 || now.getTime());
        const tracks = Object.fromEntries(p.tracks.map((t) => [t.sid, trackOf(t)]));
        const [row] = await sql<{ sid: string; state: string }[]>`
          select participant_sid as sid, state from room_participants
          where room_name = ${roomName} and identity = ${p.identity}`;
        if (row?.sid !== p.sid || row.state !== "joined") {
          await recordJoined(sql, {
            roomName,
            identity: p.identity,
            meetingId: meeting.id,
            sid: p.sid,
            at: joinedAt,
            tracks,
          });
        }
      }
      await sql`update room_participants set state = 'left', left_at = ${now}, event_at = greatest(event_at, ${now})
        where room_name = ${roomName} and state = 'joined'
          and not (identity = any(${identities.map((p) => p.identity)}))`;
    }
    await seats.reconcile(meeting.id, [...new Set(connected)]);
  }
}
