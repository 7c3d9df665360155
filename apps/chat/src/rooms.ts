import type { Logger, RedisShards } from "../../shared/src/index.ts";
import { eventsBetween, headSeq } from "./event-log.ts";
import { type MeetingBus, parseBusMessage } from "./meeting-bus.ts";
import { eventFrame } from "./protocol.ts";
import type { ChatShards } from "./shards.ts";

/** A socket as the fan-out sees it. */
export interface RoomMember {
  /** False while the socket catches up on a resume; fan-out skips it until then. */
  live: boolean;
  /** Sends a frame already serialized for the whole meeting. */
  deliver(frame: string): void;
}

/** Where the frames of a resume came from. */
export type ReplaySource = "none" | "window" | "postgres";

/**
 * One meeting on this replica: its local sockets and `delivered`, the highest seq fanned out here. Frames
 * arrive from pub/sub in publish order, which can differ from seq order across replicas (and pub/sub may lose
 * one); a frame ahead of `delivered + 1` waits in `pending` for a short while, then the gap is read back from
 * the window or Postgres. Every seq is therefore handed to each live socket exactly once, in order.
 */
class MeetingRoom {
  readonly members = new Set<RoomMember>();
  delivered = 0;
  private readonly pending = new Map<number, string>();
  private gapTimer: NodeJS.Timeout | undefined;
  private filling: Promise<void> | undefined;
  ready: Promise<void>;

  constructor(
    readonly meetingId: string,
    private readonly registry: RoomRegistry,
  ) {
    this.ready = this.start();
  }

  private async start(): Promise<void> {
    // Subscribe before reading the head: anything published in between lands in `pending` and is kept
    // when it is newer than the head.
    await this.registry.subscribers
      .forMeeting(this.meetingId)
      .subscribe(this.registry.bus.channel(this.meetingId));
    this.delivered = await headSeq(this.registry.shards.forMeeting(this.meetingId), this.meetingId);
    this.drain();
  }

  receive(seq: number, frame: string): void {
    if (seq <= this.delivered) return;
    this.pending.set(seq, frame);
    this.drain();
  }

  private drain(): void {
    for (
      let next = this.pending.get(this.delivered + 1);
      next !== undefined;
      next = this.pending.get(this.delivered + 1)
    ) {
      this.pending.delete(this.delivered + 1);
      this.fanOut(this.delivered + 1, next);
    }
    for (const seq of this.pending.keys()) if (seq <= this.delivered) this.pending.delete(seq);
    if (this.pending.size > 0 && !this.gapTimer) {
      this.gapTimer = setTimeout(() => {
        this.gapTimer = undefined;
        const target = Math.max(...this.pending.keys());
        void this.fill(target);
      }, this.registry.gapWaitMs);
    }
  }

  private fanOut(seq: number, frame: string): void {
    this.delivered = seq;
    for (const member of this.members) if (member.live) member.deliver(frame);
    this.registry.onFanOut?.(this.members.size);
  }

  /** Reads every seq up to `target` that has not arrived and delivers it in order. */
  fill(target: number): Promise<void> {
    this.filling ??= (async () => {
      try {
        if (target > this.delivered) {
          const frames = await this.registry.framesBetween(this.meetingId, this.delivered, target);
          for (const { seq, frame } of frames) if (seq === this.delivered + 1) this.fanOut(seq, frame);
        }
      } catch (error) {
        this.registry.logger.warn("gap fill failed", { meetingId: this.meetingId, error: String(error) });
      } finally {
        this.filling = undefined;
        this.drain();
      }
    })();
    return this.filling;
  }

  close(): void {
    clearTimeout(this.gapTimer);
  }
}

export interface RoomRegistryOptions {
  bus: MeetingBus;
  /** One dedicated connection per Valkey shard: in subscriber mode it can run no other command. */
  subscribers: RedisShards;
  shards: ChatShards;
  logger: Logger;
  gapWaitMs: number;
  syncIntervalMs: number;
  resumeLimit: number;
}

/** Every meeting with sockets on this replica, and the subscriber connections (one per shard) they share. */
export class RoomRegistry {
  readonly bus: MeetingBus;
  readonly subscribers: RedisShards;
  readonly shards: ChatShards;
  readonly logger: Logger;
  readonly gapWaitMs: number;
  private readonly resumeLimit: number;
  private readonly rooms = new Map<string, MeetingRoom>();
  private readonly channels = new Map<string, MeetingRoom>();
  private readonly syncTimer: NodeJS.Timeout;
  /** Observes fan-outs (metrics). */
  onFanOut?: (recipients: number) => void;
  /** Observes signals (metrics). */
  onSignal?: (recipients: number) => void;

  constructor(options: RoomRegistryOptions) {
    this.bus = options.bus;
    this.subscribers = options.subscribers;
    this.shards = options.shards;
    this.logger = options.logger;
    this.gapWaitMs = options.gapWaitMs;
    this.resumeLimit = options.resumeLimit;
    for (const subscriber of this.subscribers.clients)
      subscriber.on("message", (channel: string, payload: string) => this.dispatch(channel, payload));
    // Positioning: a frame lost on pub/sub with nothing after it would otherwise stay missing until the next
    // message; compare each meeting with its Postgres head now and then (Centrifugo's "positioning",
    // https://centrifugal.dev/docs/server/history_and_recovery).
    this.syncTimer = setInterval(() => void this.sync(), options.syncIntervalMs);
    this.syncTimer.unref();
  }

  private dispatch(channel: string, payload: string): void {
    const room = this.channels.get(channel);
    const message = parseBusMessage(payload);
    if (!room || !message) return;
    if (message.seq === undefined) {
      for (const member of room.members) if (member.live) member.deliver(message.frame);
      this.onSignal?.(room.members.size);
      return;
    }
    room.receive(message.seq, message.frame);
  }

  private async sync(): Promise<void> {
    for (const room of this.rooms.values()) {
      try {
        const head = await headSeq(this.shards.forMeeting(room.meetingId), room.meetingId);
        if (head > room.delivered) await room.fill(head);
      } catch (error) {
        this.logger.warn("meeting sync failed", { meetingId: room.meetingId, error: String(error) });
      }
    }
  }

  /** Frames after `after` up to `upTo`, from the window when it holds them all, else from Postgres. */
  async framesBetween(
    meetingId: string,
    after: number,
    upTo: number,
  ): Promise<Array<{ seq: number; frame: string }> & { source?: ReplaySource }> {
    const fromWindow = await this.bus.windowRange(meetingId, after, upTo).catch(() => undefined);
    if (fromWindow) {
      const frames = fromWindow.map((frame, i) => ({ seq: after + 1 + i, frame }));
      return Object.assign(frames, { source: "window" as const });
    }
    const events = await eventsBetween(
      this.shards.forMeeting(meetingId),
      meetingId,
      after,
      upTo,
      upTo - after,
    );
    return Object.assign(
      events.map((event) => ({ seq: event.seq, frame: eventFrame(event) })),
      { source: "postgres" as const },
    );
  }

  /**
   * Adds a socket to its meeting. With `lastSeq`, replays what it missed before it goes live; returns how,
   * or `reload` when it is further behind than the resume limit (it goes live from the head and reloads
   * history over HTTP).
   */
  async join(
    meetingId: string,
    member: RoomMember,
    lastSeq: number | undefined,
    send: (frame: string) => void | Promise<void>,
  ): Promise<{ head: number; replay: ReplaySource | "reload"; replayed: number }> {
    let room = this.rooms.get(meetingId);
    if (!room) {
      room = new MeetingRoom(meetingId, this);
      this.rooms.set(meetingId, room);
      this.channels.set(this.bus.channel(meetingId), room);
    }
    room.members.add(member);
    try {
      await room.ready;
    } catch (error) {
      this.leave(meetingId, member);
      throw error;
    }
    let cursor = lastSeq ?? room.delivered;
    let replay: ReplaySource | "reload" = "none";
    let replayed = 0;
    if (cursor > room.delivered || room.delivered - cursor > this.resumeLimit) {
      replay = "reload";
      cursor = room.delivered;
    }
    // Catch up until nothing new was fanned out while we read; the final check and `live = true` run in
    // the same tick, so no frame falls between replay and live delivery.
    while (cursor < room.delivered) {
      const frames = await this.framesBetween(meetingId, cursor, room.delivered);
      if (frames.length === 0) break;
      if (replay === "none") replay = frames.source ?? "postgres";
      else if (frames.source === "postgres" && replay === "window") replay = "postgres";
      for (const { frame } of frames) await send(frame);
      replayed += frames.length;
      cursor = frames[frames.length - 1]!.seq;
    }
    member.live = true;
    return { head: room.delivered, replay, replayed };
  }

  leave(meetingId: string, member: RoomMember): void {
    const room = this.rooms.get(meetingId);
    if (!room) return;
    room.members.delete(member);
    if (room.members.size > 0) return;
    room.close();
    this.rooms.delete(meetingId);
    const channel = this.bus.channel(meetingId);
    this.channels.delete(channel);
    void this.subscribers
      .forMeeting(meetingId)
      .unsubscribe(channel)
      .catch(() => undefined);
  }

  /** Meetings with sockets here, and how many sockets each. */
  meetingCount(): number {
    return this.rooms.size;
  }

  close(): void {
    clearInterval(this.syncTimer);
    for (const room of this.rooms.values()) room.close();
  }
}
