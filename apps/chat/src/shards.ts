import { createHash } from "node:crypto";
import type { Registry } from "prom-client";
import { createDatabase, type Database, type Sql } from "../../shared/src/index.ts";

/**
 * The chat databases, one per shard, in the order the stack lists them (CHAT_SHARD_URLS). A meeting lives on
 * exactly one shard, chosen from its id, so every query about one meeting touches one database.
 * Changing the shard count moves meetings: it needs a data migration, not a config change.
 */
export interface ChatShards {
  readonly count: number;
  /** The shard database of a meeting. */
  forMeeting(meetingId: string): Sql;
  /** The position of a meeting's shard in `all()`. */
  indexOf(meetingId: string): number;
  /** Every shard, in order (migrations, cross-shard queries, readiness). */
  all(): readonly Sql[];
  close(): Promise<void>;
}

/** Shard index of a meeting: the first 32 bits of SHA-256 of its canonical (lowercase) id, modulo the count. */
export function shardIndex(meetingId: string, count: number): number {
  const digest = createHash("sha256").update(meetingId.toLowerCase()).digest();
  return digest.readUInt32BE(0) % count;
}

export function openShards(options: {
  urls: readonly string[];
  max: number;
  applicationName: string;
  registry?: Registry;
  /** postgres.js prepared statements; false behind PgBouncer in transaction mode (DATABASE_PREPARE). */
  prepare?: boolean;
}): ChatShards {
  const databases: Database[] = options.urls.map((url, index) =>
    createDatabase({
      url,
      max: options.max,
      applicationName: `${options.applicationName}-s${index}`,
      ...(options.registry ? { registry: options.registry } : {}),
      ...(options.prepare === undefined ? {} : { prepare: options.prepare }),
    }),
  );
  const pools = databases.map((db) => db.sql);
  return {
    count: pools.length,
    forMeeting(meetingId) {
      return pools[shardIndex(meetingId, pools.length)] as Sql;
    },
    indexOf: (meetingId) => shardIndex(meetingId, pools.length),
    all: () => pools,
    async close() {
      await Promise.all(databases.map((db) => db.close()));
    },
  };
}
