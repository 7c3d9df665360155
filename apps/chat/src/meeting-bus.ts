import type { Redis, Result } from "ioredis";
import type { RedisShards } from "../../shared/src/index.ts";

/**
 * The Redis side of fan-out. Each meeting has one pub/sub channel every replica with sockets in that meeting
 * subscribes to, and one sorted set (score = seq) holding the last frames as the replay window. Publishing an
 * event updates both in one script, so a frame that is in the window was also published.
 * Why a sorted set rather than a stream: two replicas commit seq 5 and 6 in order but may publish them in
 * either order; a stream's ids would follow publish order, the sorted set reads back in seq order regardless
 * (Redis Pub/Sub delivers at most once, https://redis.io/docs/latest/develop/pubsub/; Centrifugo's
 * "History and stream recovery", https://centrifugal.dev/docs/server/history_and_recovery, is the
 * recovery-cache pattern this adapts).
 */
const PUBLISH_EVENT = `
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
if ARGV[6] ~= '' then
  if redis.call('ZREMRANGEBYSCORE', KEYS[1], ARGV[6], ARGV[6]) > 0 then
    redis.call('ZADD', KEYS[1], ARGV[6], ARGV[7])
  end
end
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -1 - tonumber(ARGV[4]))
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return redis.call('PUBLISH', KEYS[2], ARGV[3])
`;

/**
 * Presence: one member per socket (`userId|socketId`) scored with its expiry, refreshed by the replica that
 * holds the socket, so a replica that dies without cleaning up stops counting once its entries expire.
 * Returns {1 if this socket is the user's first (join) or last (leave), distinct users present}.
 */
const PRESENCE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local member = ARGV[2] .. '|' .. ARGV[3]
if ARGV[1] == 'join' then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[4]), member)
else
  redis.call('ZREM', KEYS[1], member)
end
redis.call('PEXPIRE', KEYS[1], ARGV[4])
local users = {}
local count = 0
local mine = 0
for _, m in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local user = string.match(m, '^([^|]+)|')
  if user and not users[user] then
    users[user] = true
    count = count + 1
  end
  if user == ARGV[2] then mine = mine + 1 end
end
local edge = 0
if ARGV[1] == 'join' and mine == 1 then edge = 1 end
if ARGV[1] == 'leave' and mine == 0 then edge = 1 end
return {edge, count}
`;

declare module "ioredis" {
  interface RedisCommander<Context> {
    chatPublishEvent(
      windowKey: string,
      channel: string,
      seq: number,
      frame: string,
      payload: string,
      windowSize: number,
      ttlMs: number,
      replaceSeq: string,
      replaceFrame: string,
    ): Result<number, Context>;
    chatPresence(
      key: string,
      action: "join" | "leave",
      userId: string,
      socketId: string,
      ttlMs: number,
    ): Result<[number, number], Context>;
  }
}

export const WINDOW_TTL_MS = 24 * 3600 * 1000;

/** What a subscriber receives: `E<seq> <frame>` for a sequenced event, `S <frame>` for a signal. */
export type BusMessage = { seq: number; frame: string } | { seq: undefined; frame: string };

export function parseBusMessage(payload: string): BusMessage | undefined {
  if (payload.startsWith("S ")) return { seq: undefined, frame: payload.slice(2) };
  const space = payload.indexOf(" ");
  if (payload[0] !== "E" || space < 2) return undefined;
  const seq = Number(payload.slice(1, space));
  return Number.isSafeInteger(seq) ? { seq, frame: payload.slice(space + 1) } : undefined;
}

/** A committed event ready for fan-out: serialized once, published as is. */
export interface PublishedEvent {
  meetingId: string;
  seq: number;
  frame: string;
  /** A deleted message's new frame, swapped into the window. */
  replace?: { seq: number; frame: string } | undefined;
}

/**
 * Every key and channel of a meeting lives on the Valkey shard its id hashes to (RedisShards, docs/data.md), so
 * one meeting's window, channel and presence are always together and a lost shard affects only its meetings.
 */
export class MeetingBus {
  constructor(
    private readonly shards: RedisShards,
    private readonly windowSize: number,
    readonly prefix = "gomeet:chat",
  ) {
    for (const redis of shards.clients) {
      redis.defineCommand("chatPublishEvent", { numberOfKeys: 2, lua: PUBLISH_EVENT });
      redis.defineCommand("chatPresence", { numberOfKeys: 1, lua: PRESENCE });
    }
  }

  /** The Valkey shard holding this meeting's keys (its subscriber connection is chosen the same way). */
  redisFor(meetingId: string): Redis {
    return this.shards.forMeeting(meetingId);
  }

  channel(meetingId: string): string {
    return `${this.prefix}:{${meetingId}}:bus`;
  }

  private windowKey(meetingId: string): string {
    return `${this.prefix}:{${meetingId}}:window`;
  }

  private presenceKey(meetingId: string): string {
    return `${this.prefix}:{${meetingId}}:presence`;
  }

  /**
   * Adds each frame to its meeting's replay window and publishes it: one pipeline per shard, in the order
   * given (a meeting's events in seq order). Resolves when every shard answered; rejects with the shards'
   * errors joined when one failed (the events are durable: the meeting sync repairs what was not published).
   */
  async publishEvents(events: readonly PublishedEvent[]): Promise<void> {
    const pipelines = new Map<Redis, ReturnType<Redis["pipeline"]>>();
    for (const e of events) {
      const redis = this.shards.forMeeting(e.meetingId);
      let pipeline = pipelines.get(redis);
      if (!pipeline) {
        pipeline = redis.pipeline();
        pipelines.set(redis, pipeline);
      }
      pipeline.chatPublishEvent(
        this.windowKey(e.meetingId),
        this.channel(e.meetingId),
        e.seq,
        e.frame,
        `E${e.seq} ${e.frame}`,
        this.windowSize,
        WINDOW_TTL_MS,
        e.replace ? String(e.replace.seq) : "",
        e.replace?.frame ?? "",
      );
    }
    const failures: string[] = [];
    await Promise.all(
      [...pipelines.values()].map(async (pipeline) => {
        try {
          for (const [error] of (await pipeline.exec()) ?? []) if (error) failures.push(error.message);
        } catch (error) {
          failures.push(String(error));
        }
      }),
    );
    if (failures.length > 0)
      throw new Error(`${failures.length} of ${events.length} events not published: ${failures[0]}`);
  }

  async publishEvent(
    meetingId: string,
    seq: number,
    frame: string,
    replace?: { seq: number; frame: string },
  ): Promise<void> {
    await this.publishEvents([{ meetingId, seq, frame, replace }]);
  }

  async publishSignal(meetingId: string, frame: string): Promise<void> {
    await this.redisFor(meetingId).publish(this.channel(meetingId), `S ${frame}`);
  }

  /**
   * Frames with `after < seq <= upTo` from the window, or undefined when the window does not hold every one
   * of them (trimmed, expired or never published) and the caller must read Postgres.
   */
  async windowRange(meetingId: string, after: number, upTo: number): Promise<string[] | undefined> {
    if (upTo <= after) return [];
    const frames = await this.redisFor(meetingId).zrangebyscore(this.windowKey(meetingId), `(${after}`, upTo);
    return frames.length === upTo - after ? frames : undefined;
  }

  async presence(
    meetingId: string,
    action: "join" | "leave",
    userId: string,
    socketId: string,
    ttlMs: number,
  ): Promise<{ edge: boolean; count: number }> {
    const [edge, count] = await this.redisFor(meetingId).chatPresence(
      this.presenceKey(meetingId),
      action,
      userId,
      socketId,
      ttlMs,
    );
    return { edge: edge === 1, count };
  }

  /** Pushes the expiry of this replica's sockets forward (one pipeline per shard per heartbeat). */
  async refreshPresence(
    entries: Array<{ meetingId: string; userId: string; socketId: string }>,
    ttlMs: number,
  ) {
    if (entries.length === 0) return;
    const pipelines = new Map<Redis, ReturnType<Redis["pipeline"]>>();
    const expiry = Date.now() + ttlMs;
    for (const e of entries) {
      const redis = this.redisFor(e.meetingId);
      let pipeline = pipelines.get(redis);
      if (!pipeline) {
        pipeline = redis.pipeline();
        pipelines.set(redis, pipeline);
      }
      pipeline.zadd(this.presenceKey(e.meetingId), "XX", expiry, `${e.userId}|${e.socketId}`);
    }
    await Promise.all([...pipelines.values()].map((p) => p.exec()));
  }
}
