import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import type { RoomServiceClient } from "livekit-server-sdk";
import { ApiError, type Logger, RedisShards } from "../../shared/src/index.ts";
import { parseRoomName } from "./meetings-store.ts";

export interface RoomProvisionerOptions {
  /** Meetings above this capacity must land on a media node of their own. */
  largeMeetingThreshold: number;
  /**
   * Gap between two large-room creations: LiveKit nodes refresh their stats every 2 s
   * (docs/sources.md#livekit-distributed-setup).
   */
  placementSpacingMs: number;
  emptyTimeoutSeconds: number;
  departureTimeoutSeconds: number;
  /** How long a caller waits for its turn to place a large room before it is told to retry. */
  placementWaitMs?: number;
}

const PLACEMENT_LOCK = "gomeet:meetings:placement-lock";
const createdKey = (room: string) => `gomeet:meetings:room-created:{${room}}`;
/** Short, because a room disappears on its own once empty (empty_timeout); then the next join recreates it. */
const CREATED_MARK_MS = 20_000;

/**
 * Creates each LiveKit room through the room service before anyone joins (the shipped livekit.yaml sets
 * `room.auto_create: false`), so the room carries its capacity and timeouts.
 *
 * Placement: the shipped node selector is `cpuload` sorted by `rooms` (components/media/livekit-config.ts):
 * a new room goes to the node hosting the fewest rooms. Nodes publish their stats every 2 s, so rooms created
 * within that window can land on the same node (docs/sources.md#livekit-distributed-setup). Large
 * meetings therefore take a cluster-wide Redis lock and keep it for `placementSpacingMs` after their room
 * exists, so the next large room is placed with fresh stats and lands on another node while one without rooms
 * exists. Pinning with `CreateRoom.node_id` was not used: the room service API offers no list of nodes to pin
 * to, and the field is documented as a debugging override (docs/sources.md#livekit-room-service).
 */
export class RoomProvisioner {
  private readonly inflight = new Map<string, Promise<string>>();

  private readonly shards: RedisShards;

  /**
   * `redis` holds the cluster-wide placement lock (one server, so every replica sees the same lock); the
   * created-room marks are per meeting and live on the meeting's shard of `shards` (default: `redis` alone).
   */
  constructor(
    private readonly rooms: RoomServiceClient,
    private readonly redis: Redis,
    private readonly options: RoomProvisionerOptions,
    private readonly logger: Logger,
    shards?: RedisShards,
  ) {
    this.shards = shards ?? new RedisShards([redis]);
  }

  /** The shard of the room's meeting (main and breakout rooms of a meeting share it). */
  private marks(room: string): Redis {
    return this.shards.forMeeting(parseRoomName(room)?.meetingId ?? room);
  }

  /**
   * The room's sid, creating the room first when it does not exist yet. `ahead` is for rooms created before the
   * meeting starts (room-precreator.ts): a room nobody joined closes after its empty timeout, and joins skip
   * creation while the mark lasts, so both must cover the time until the start.
   */
  async ensureRoom(
    name: string,
    capacity: number,
    metadata: Record<string, string>,
    ahead?: { emptyTimeoutSeconds: number; markMs: number },
    /** The room's created-room mark when the caller already read it (`markKey`), saving a round trip. */
    knownSid?: string | null,
  ): Promise<string> {
    const known = knownSid ?? (await this.marks(name).get(createdKey(name)));
    if (known) return known;
    const pending = this.inflight.get(name);
    if (pending) return await pending;
    const creation = this.create(name, capacity, metadata, ahead, true).finally(() =>
      this.inflight.delete(name),
    );
    this.inflight.set(name, creation);
    return await creation;
  }

  /**
   * Creates the room again even though LiveKit still lists it: for a room whose media node died (room-failover.ts),
   * LiveKit's registry still names the room, which must be placed anew.
   */
  async replaceRoom(name: string, capacity: number, metadata: Record<string, string>): Promise<string> {
    await this.forget(name);
    return await this.create(name, capacity, metadata, undefined, false);
  }

  /** The key of the room's created-room mark, on the shard of the room's meeting. */
  markKey(name: string): string {
    return createdKey(name);
  }

  /**
   * Closes a room of a meeting that is over (ended, cancelled): LiveKit deletes it, disconnecting anyone in it, and
   * the mark goes so nothing treats it as ready. A room that is already gone is what the caller wants.
   */
  async closeRoom(name: string): Promise<void> {
    await this.rooms.deleteRoom(name).catch(() => undefined);
    await this.forget(name);
  }

  /** Forget a room LiveKit finished, so the next join creates it again. */
  async forget(name: string): Promise<void> {
    await this.marks(name).del(createdKey(name));
  }

  private async create(
    name: string,
    capacity: number,
    metadata: Record<string, string>,
    ahead: { emptyTimeoutSeconds: number; markMs: number } | undefined,
    reuseExisting: boolean,
  ): Promise<string> {
    const large = capacity > this.options.largeMeetingThreshold;
    // The mark lapses every CREATED_MARK_MS while people are still in the room. Placing such a room again would
    // take the cluster-wide lock and hold it for the spacing: with many large meetings live, their joins would
    // queue behind each other's re-placements every 20 s (bench/meetings/RESULTS.md "Joins"). Only a new room needs placing.
    if (large && reuseExisting) {
      const existing = await this.listed(name);
      if (existing) {
        await this.marks(name).set(createdKey(name), existing, "PX", ahead?.markMs ?? CREATED_MARK_MS);
        return existing;
      }
    }
    const lockToken = large ? await this.acquirePlacement(name) : undefined;
    let placed = false;
    try {
      // Another replica may have created the room while this one waited for the placement lock.
      const known = lockToken ? await this.marks(name).get(createdKey(name)) : null;
      if (known) return known;
      const room = await this.rooms.createRoom({
        name,
        // One extra slot for the hidden egress recorder of a room-composite recording.
        maxParticipants: capacity + 1,
        emptyTimeout: ahead?.emptyTimeoutSeconds ?? this.options.emptyTimeoutSeconds,
        departureTimeout: this.options.departureTimeoutSeconds,
        metadata: JSON.stringify(metadata),
      });
      placed = true;
      await this.marks(name).set(createdKey(name), room.sid, "PX", ahead?.markMs ?? CREATED_MARK_MS);
      this.logger.info("livekit room ready", { room: name, sid: room.sid, capacity, large });
      return room.sid;
    } catch (error) {
      throw new ApiError(
        503,
        "media_unavailable",
        `the media server could not create the meeting room: ${(error as Error).message}`,
        { headers: { "retry-after": "2" } },
      );
    } finally {
      if (lockToken)
        await this.holdPlacementForSpacing(lockToken, placed ? this.options.placementSpacingMs : 1);
    }
  }

  /** The sid of the room when LiveKit lists it. */
  private async listed(name: string): Promise<string | undefined> {
    try {
      const [room] = await this.rooms.listRooms([name]);
      return room?.sid || undefined;
    } catch (error) {
      throw new ApiError(
        503,
        "media_unavailable",
        `the media server could not be asked for the meeting room: ${(error as Error).message}`,
        { headers: { "retry-after": "2" } },
      );
    }
  }

  private async acquirePlacement(room: string): Promise<string> {
    const token = `${room}:${randomUUID()}`;
    const deadline = Date.now() + (this.options.placementWaitMs ?? 30_000);
    while (Date.now() < deadline) {
      const taken = await this.redis.set(PLACEMENT_LOCK, token, "PX", 15_000, "NX");
      if (taken === "OK") return token;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new ApiError(
      503,
      "placement_busy",
      "large meeting rooms are being placed; retry in a few seconds",
      {
        headers: { "retry-after": "3" },
      },
    );
  }

  /** Keep the lock (only if still ours) until the nodes have published stats that include the new room. */
  private async holdPlacementForSpacing(token: string, holdMs: number): Promise<void> {
    const spacing = Math.max(1, holdMs);
    await this.redis.eval(
      "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0",
      1,
      PLACEMENT_LOCK,
      token,
      spacing,
    );
  }
}
