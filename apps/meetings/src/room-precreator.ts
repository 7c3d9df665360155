import { Counter, type Registry } from "prom-client";
import type { Logger, Sql } from "../../shared/src/index.ts";
import { mainRoomName } from "./meetings-store.ts";
import type { RoomProvisioner } from "./room-provisioner.ts";

export interface RoomPrecreatorOptions {
  /** Meetings starting within this many seconds get their room now; 0 turns the worker off. */
  leadSeconds: number;
  /** How long after the start an untouched pre-created room stays open (and joins skip creation). */
  graceSeconds: number;
  /** Meetings looked at per pass, earliest start first. */
  batch: number;
}

/** Marks the room's metadata so the room_started webhook does not start the meeting: the host does. */
export const PRECREATED_METADATA = "precreated";

/**
 * Rooms ready before the meeting starts. Large rooms are placed one at a time cluster-wide (the placement lock
 * in room-provisioner.ts, held for the spacing LiveKit's node stats need), so when 100 large meetings start in
 * the same minute, creating rooms at the hosts' first joins makes the last host wait 100 × 2.5 s. This worker,
 * run by every replica, walks the schedule earliest start first and creates each room ahead of time through
 * the same provisioner: large rooms take the same lock (so replicas and concurrent joins never place two at
 * once, and a replica that waited re-checks whether the room exists), small rooms go straight through. The
 * room mark then lasts until the start plus the grace, so the host's first join is a plain token issue.
 * Unscheduled meetings (started at once) keep the join-time path.
 */
export class RoomPrecreator {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private readonly created: Counter;

  constructor(
    private readonly deps: {
      sql: Sql;
      provisioner: RoomProvisioner;
      logger: Logger;
      metrics: Registry;
      options: RoomPrecreatorOptions;
    },
  ) {
    this.created = new Counter({
      name: "gomeet_meeting_rooms_precreated_total",
      help: "Scheduled meetings' rooms created ahead of their start, by outcome.",
      labelNames: ["outcome"],
      registers: [deps.metrics],
    });
  }

  start(intervalMs: number): void {
    if (this.deps.options.leadSeconds <= 0) return;
    const tick = () => {
      if (this.running) return;
      this.running = this.runOnce()
        .catch((error) =>
          this.deps.logger.warn("room pre-creation failed", { error: (error as Error).message }),
        )
        .finally(() => {
          this.running = undefined;
        });
    };
    this.timer = setInterval(tick, intervalMs);
    this.timer.unref();
    tick();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One pass over the meetings starting soon; returns the rooms this pass made sure exist. */
  async runOnce(now = Date.now()): Promise<string[]> {
    const { sql, provisioner, logger, options } = this.deps;
    const due = await sql<{ id: string; capacity: number; startsAt: Date }[]>`
      select id, capacity, starts_at as "startsAt" from meetings
      where state = 'scheduled'
        and starts_at <= ${new Date(now + options.leadSeconds * 1000)}
        and starts_at > ${new Date(now - options.graceSeconds * 1000)}
      order by starts_at, capacity desc
      limit ${options.batch}`;
    const ready: string[] = [];
    for (const meeting of due) {
      const room = mainRoomName(meeting.id);
      const untilStartSeconds = Math.max(0, Math.ceil((meeting.startsAt.getTime() - now) / 1000));
      const openSeconds = Math.min(86_400, untilStartSeconds + options.graceSeconds);
      try {
        await provisioner.ensureRoom(
          room,
          meeting.capacity,
          { meetingId: meeting.id, [PRECREATED_METADATA]: "true" },
          { emptyTimeoutSeconds: openSeconds, markMs: openSeconds * 1000 },
        );
        // Cancelled (or started and ended) while the room was being made: the cancel closed no room because
        // there was none yet, so this worker closes the one it just made.
        const [current] = await sql<{ state: string }[]>`select state from meetings where id = ${meeting.id}`;
        if (current?.state !== "scheduled" && current?.state !== "live") {
          await provisioner.closeRoom(room);
          this.created.inc({ outcome: "closed" });
          continue;
        }
        this.created.inc({ outcome: "ready" });
        ready.push(room);
      } catch (error) {
        // Placement busy or the media fleet unavailable: the next pass (or the host's join) tries again.
        this.created.inc({ outcome: "deferred" });
        logger.warn("room pre-creation deferred", { room, error: (error as Error).message });
      }
    }
    return ready;
  }
}
