import { Counter, type Registry } from "prom-client";
import type { Logger, Sql } from "../../shared/src/index.ts";
import { type LiveKitNodeRegistry, nodeAvailable } from "./livekit-node-registry.ts";
import { breakoutRoomName, mainRoomName } from "./meetings-store.ts";
import type { RoomProvisioner } from "./room-provisioner.ts";

export interface RoomOnDeadNode {
  room: string;
  meetingId: string;
  deadNode: string;
  /** The node LiveKit assigned when the room was created again; undefined if that failed. */
  newNode: string | undefined;
}

/**
 * Media node failure. When an SFU node dies (crash, SIGKILL, lost droplet) LiveKit sends no webhook: its rooms
 * stay in Redis, assigned to a node that no longer reports stats. This watcher reads LiveKit's own node registry
 * every interval; a room of a live (or pre-created, scheduled) meeting whose node has stopped reporting for
 * `NODE_AVAILABLE_SECONDS` is created again through the room service, which makes LiveKit pick an available
 * node for it (large rooms through the placement lock, so two rooms from one dead node do not land together).
 * The clients' SDKs reconnect on their own (signal through any node, full reconnect with the same token,
 * tracks republished) and find the room on the new node; participant and seat state follow from the new
 * node's webhooks and the participant reconciler. A draining node (SIGTERM, state `shutting_down`) still
 * reports stats, so its rooms stay where they are until they end.
 */
export class RoomFailover {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private readonly moved: Counter;

  constructor(
    private readonly deps: {
      sql: Sql;
      registry: LiveKitNodeRegistry;
      provisioner: RoomProvisioner;
      logger: Logger;
      metrics: Registry;
    },
  ) {
    this.moved = new Counter({
      name: "gomeet_meeting_room_failovers_total",
      help: "Rooms created again on another media node after their node stopped reporting, by outcome.",
      labelNames: ["outcome"],
      registers: [deps.metrics],
    });
  }

  start(intervalMs: number): void {
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.checkOnce()
        .catch((error) =>
          this.deps.logger.warn("room failover check failed", { error: (error as Error).message }),
        )
        .finally(() => {
          this.running = undefined;
        });
    }, intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One pass: every room on a node LiveKit would no longer route to is created again elsewhere. */
  async checkOnce(now = Date.now()): Promise<RoomOnDeadNode[]> {
    const { sql, registry, provisioner, logger } = this.deps;
    const meetings = await sql<{ id: string; capacity: number; breakoutsOpen: boolean }[]>`
      select id, capacity, breakouts_open as "breakoutsOpen" from meetings
      where state = 'live' or (state = 'scheduled' and starts_at < now() + interval '1 day')`;
    if (meetings.length === 0) return [];
    const breakouts = await sql<{ meetingId: string; number: number }[]>`
      select meeting_id as "meetingId", number from breakout_rooms
      where meeting_id = any(${meetings.filter((m) => m.breakoutsOpen).map((m) => m.id)})`;
    const rooms = new Map<string, { meetingId: string; capacity: number }>();
    for (const m of meetings) rooms.set(mainRoomName(m.id), { meetingId: m.id, capacity: m.capacity });
    for (const b of breakouts) {
      const capacity = meetings.find((m) => m.id === b.meetingId)?.capacity ?? 2;
      rooms.set(breakoutRoomName(b.meetingId, b.number), { meetingId: b.meetingId, capacity });
    }
    const [nodes, placed] = await Promise.all([registry.nodes(), registry.roomNodes([...rooms.keys()])]);
    const results: RoomOnDeadNode[] = [];
    for (const [room, nodeId] of placed) {
      if (nodeAvailable(nodes.get(nodeId), now)) continue;
      const target = rooms.get(room);
      if (!target) continue;
      logger.warn("media node stopped reporting; creating its room on another node", {
        room,
        deadNode: nodeId,
      });
      try {
        await provisioner.replaceRoom(room, target.capacity, { meetingId: target.meetingId });
        const newNode = (await registry.roomNodes([room])).get(room);
        this.moved.inc({ outcome: "moved" });
        logger.info("room moved off a dead media node", { room, deadNode: nodeId, newNode });
        results.push({ room, meetingId: target.meetingId, deadNode: nodeId, newNode });
      } catch (error) {
        this.moved.inc({ outcome: "failed" });
        logger.warn("could not move a room off a dead media node; retrying next pass", {
          room,
          error: (error as Error).message,
        });
        results.push({ room, meetingId: target.meetingId, deadNode: nodeId, newNode: undefined });
      }
    }
    return results;
  }
}
