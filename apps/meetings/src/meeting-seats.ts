import type { Redis } from "ioredis";
import { ApiError, RedisShards } from "../../shared/src/index.ts";

/**
 * The capacity ledger of each meeting: one sorted set per meeting, member = participant identity, score = when
 * the seat lapses (ms, Redis clock) or +inf once LiveKit reports the participant connected. Admission is one
 * Lua script, so concurrent joins across every replica are serialised by Redis: with 600 joins at once exactly
 * `capacity` are admitted. Redis rather than a Postgres row lock because every join of a 500-person meeting
 * would queue on that one row (and hold a pool connection while it waits); the script runs in microseconds.
 * A seat given at join but never used lapses after the hold time; webhooks and the reconciler keep the
 * connected ones exact.
 */
const ADMIT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local hold = now + tonumber(ARGV[3])
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  redis.call('ZADD', KEYS[1], 'GT', hold, ARGV[1])
  return {1, redis.call('ZCARD', KEYS[1])}
end
local taken = redis.call('ZCARD', KEYS[1])
if taken >= tonumber(ARGV[2]) then return {0, taken} end
redis.call('ZADD', KEYS[1], hold, ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return {1, taken + 1}
`;

/** Connected identities get +inf; identities marked connected before but absent now are released. */
const RECONCILE = `
local connected = redis.call('ZRANGEBYSCORE', KEYS[1], '+inf', '+inf')
local present = {}
for i = 1, #ARGV do present[ARGV[i]] = true end
for _, identity in ipairs(connected) do
  if not present[identity] then redis.call('ZREM', KEYS[1], identity) end
end
for i = 1, #ARGV do redis.call('ZADD', KEYS[1], '+inf', ARGV[i]) end
return redis.call('ZCARD', KEYS[1])
`;

interface SeatCommands {
  gomeetSeatAdmit(
    key: string,
    identity: string,
    capacity: number,
    holdMs: number,
    ttlMs: number,
  ): Promise<[number, number]>;
  gomeetSeatReconcile(key: string, ...identities: string[]): Promise<number>;
}

/** The client reconnects within 2 s (kit createRedis); a shard that restarts is back about then. */
const SEATS_RETRY_AFTER_SECONDS = 2;

/** How long the ledger of a meeting outlives its last admission (a meeting runs at most 24 h). */
const LEDGER_TTL_MS = 48 * 3600 * 1000;

export interface SeatDecision {
  admitted: boolean;
  taken: number;
}

/**
 * The ledgers live on the app keyspace's shard of their meeting (docs/data.md "Valkey: partitioned by meeting"):
 * a meeting's admissions are serialised by the one server that holds its ledger, and a lost shard only stops
 * the joins of its own meetings.
 */
export class MeetingSeats {
  private readonly shards: RedisShards;

  constructor(
    shards: RedisShards | Redis,
    private readonly holdSeconds: number,
    private readonly prefix = "gomeet:meetings",
  ) {
    this.shards = shards instanceof RedisShards ? shards : new RedisShards([shards]);
    for (const redis of this.shards.clients) {
      if (!(redis as unknown as Partial<SeatCommands>).gomeetSeatAdmit) {
        redis.defineCommand("gomeetSeatAdmit", { numberOfKeys: 1, lua: ADMIT });
        redis.defineCommand("gomeetSeatReconcile", { numberOfKeys: 1, lua: RECONCILE });
      }
    }
  }

  private key(meetingId: string): string {
    return `${this.prefix}:seats:{${meetingId}}`;
  }

  private redis(meetingId: string): Redis {
    return this.shards.forMeeting(meetingId);
  }

  private commands(meetingId: string): SeatCommands {
    return this.shards.forMeeting(meetingId) as unknown as SeatCommands;
  }

  /**
   * Takes a seat, or refuses: without its ledger nobody can be admitted, so a shard that cannot be reached is a
   * 503 with Retry-After for the meetings on it (the client's own error text can name the server, so it is not
   * passed on). `peekKey`, a key of the same meeting, is read alongside (the join reads its room's created-room
   * mark this way).
   */
  async admit(
    meetingId: string,
    identity: string,
    capacity: number,
    peekKey?: string,
  ): Promise<SeatDecision & { peeked: string | null }> {
    // Two commands rather than a MULTI-less pipeline: on a client with auto-pipelining (meetings' server.ts) they
    // share one write with every other join of the same tick; the mark's read never fails the admission.
    const redis = this.redis(meetingId);
    const [seat, peeked] = await Promise.all([
      this.commands(meetingId)
        .gomeetSeatAdmit(this.key(meetingId), identity, capacity, this.holdSeconds * 1000, LEDGER_TTL_MS)
        .catch(() => undefined),
      peekKey ? redis.get(peekKey).catch(() => null) : null,
    ]);
    if (!Array.isArray(seat)) {
      throw new ApiError(
        503,
        "seats_unavailable",
        "the seat ledger of this meeting cannot be reached right now; retry in a few seconds",
        { headers: { "retry-after": String(SEATS_RETRY_AFTER_SECONDS) } },
      );
    }
    const [admitted, taken] = seat as [number, number];
    return { admitted: admitted === 1, taken, peeked };
  }

  async markConnected(meetingId: string, identity: string): Promise<void> {
    await this.redis(meetingId).zadd(this.key(meetingId), "+inf", identity);
  }

  async release(meetingId: string, identity: string): Promise<void> {
    await this.redis(meetingId).zrem(this.key(meetingId), identity);
  }

  async reconcile(meetingId: string, connected: string[]): Promise<number> {
    return await this.commands(meetingId).gomeetSeatReconcile(this.key(meetingId), ...connected);
  }

  async taken(meetingId: string): Promise<number> {
    return await this.redis(meetingId).zcount(this.key(meetingId), `(${Date.now()}`, "+inf");
  }

  async clear(meetingId: string): Promise<void> {
    await this.redis(meetingId).del(this.key(meetingId));
  }
}
