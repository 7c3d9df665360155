import type { Redis } from "ioredis";

/**
 * The app keyspace partitioned over N Valkey servers (docs/data.md "Valkey: partitioned by meeting"). DigitalOcean
 * Managed Valkey has no cluster mode, so the partitioning is the client's: every key of one meeting — seats,
 * locks, chat stream and fan-out — lives on the shard its meeting id hashes to, and rate limits on the shard of
 * their own key. The hash is stable across processes and releases (FNV-1a, 32 bit, over the UTF-8 bytes), and the
 * shard order is the order of `REDIS_SHARD_URLS`, so the list may only ever be appended to after a migration.
 */

/** FNV-1a (32 bit) of the UTF-8 bytes: cheap, no dependency, identical in every process. */
export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/** The shard (0 … count-1) a meeting id or rate-limit key lives on. */
export function shardIndex(key: string, count: number): number {
  if (!Number.isInteger(count) || count < 1)
    throw new Error(`redis shards: expected a shard count ≥ 1, got ${count}`);
  if (key.length === 0) throw new Error("redis shards: expected a non-empty meeting id or key");
  return fnv1a32(key) % count;
}

/**
 * Parses `REDIS_SHARD_URLS`: comma-separated redis:// or rediss:// URLs in shard order. Errors name the variable
 * and the position but never echo a URL, which carries the password.
 */
export function parseRedisShardUrls(value: string, variable = "REDIS_SHARD_URLS"): string[] {
  const urls = value
    .split(",")
    .map((u) => u.trim())
    .filter((u) => u.length > 0);
  if (urls.length === 0)
    throw new Error(`${variable}: expected one or more redis:// or rediss:// URLs, got none`);
  urls.forEach((url, i) => {
    let protocol = "";
    try {
      protocol = new URL(url).protocol;
    } catch {
      throw new Error(`${variable}: entry ${i + 1} of ${urls.length} is not a URL`);
    }
    if (protocol !== "redis:" && protocol !== "rediss:") {
      throw new Error(
        `${variable}: entry ${i + 1} of ${urls.length} must use redis: or rediss:, got ${protocol}`,
      );
    }
  });
  if (new Set(urls).size !== urls.length) throw new Error(`${variable}: a shard is listed twice`);
  return urls;
}

/** One client per shard, chosen by meeting id (or by key for rate limits). */
export class RedisShards {
  readonly clients: readonly Redis[];

  constructor(clients: readonly Redis[]) {
    if (clients.length === 0) throw new Error("redis shards: expected at least one client");
    this.clients = clients;
  }

  /** Builds one client per URL with the given factory (the kit's `createRedis` in the services). */
  static connect(urls: readonly string[], create: (url: string, shard: number) => Redis): RedisShards {
    return new RedisShards(urls.map((url, shard) => create(url, shard)));
  }

  get count(): number {
    return this.clients.length;
  }

  /** The client holding every key of this meeting. */
  forMeeting(meetingId: string): Redis {
    return this.clients[shardIndex(meetingId, this.clients.length)] as Redis;
  }

  /** The client holding a key that belongs to no meeting (a rate-limit bucket). */
  forKey(key: string): Redis {
    return this.clients[shardIndex(key, this.clients.length)] as Redis;
  }

  async close(): Promise<void> {
    await Promise.all(this.clients.map((c) => c.quit().catch(() => c.disconnect())));
  }
}
