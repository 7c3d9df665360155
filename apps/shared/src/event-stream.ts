import type { Redis } from "ioredis";
import type { ReadinessCheck } from "./app.ts";
import type { Logger } from "./logger.ts";
import { redisReady } from "./redis.ts";

/**
 * Cross-service events ride on Redis streams rather than pub/sub: a follower that loses its connection resumes
 * from the last entry id it handled, so nothing published while it reconnected is lost, and a process that
 * starts late can read back the window that still matters (the ids are the server's millisecond clock).
 */
export async function appendEvent(
  redis: Redis,
  stream: string,
  event: Record<string, unknown>,
  retentionMs: number,
): Promise<string> {
  const [seconds, micros] = await redis.time();
  const oldest = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000) - retentionMs;
  // MINID ~ trims whole macro nodes only, so trimming costs next to nothing on each append.
  return (await redis.call(
    "XADD",
    stream,
    "MINID",
    "~",
    `${Math.max(0, oldest)}-0`,
    "*",
    "event",
    JSON.stringify(event),
  )) as string;
}

export interface StreamFollowerOptions {
  /**
   * A connection to the Redis every publisher writes to, for the follower alone (its blocked reads hold the
   * connection; `redis.duplicate()` of the service's client); `stop` closes it.
   */
  connection: Redis;
  stream: string;
  /** Entries younger than this are read back at start; 0 starts after the newest entry. */
  replayMs: number;
  onEvent: (event: Record<string, unknown>, id: string) => void;
  logger?: Logger;
  /** How long one blocked read waits before it is issued again (bounds how long stop() takes). */
  blockMs?: number;
}

type StreamReply = [string, [string, string[]][]][] | null;

/** Reads one stream from a position and hands each entry's event to `onEvent`, in order, across reconnects. */
export class StreamFollower {
  private readonly redis: Redis;
  private lastId: string | undefined;
  private stopped = false;
  private caughtUp = false;
  private loop: Promise<void> | undefined;
  private started: Promise<void> | undefined;

  constructor(private readonly options: StreamFollowerOptions) {
    this.redis = options.connection;
    // Connection errors surface through the read loop, which logs and retries; no unhandled 'error' event.
    this.redis.on("error", () => undefined);
  }

  /** Starts following; resolves once the replay window has been read (or rejects when `stop` comes first). */
  start(): Promise<void> {
    this.started ??= new Promise<void>((resolve, reject) => {
      this.loop = this.run(resolve);
      this.loop.then(resolve, reject);
    });
    return this.started;
  }

  /** `/readyz`: not ready until the replay window is read, nor while the connection is down. */
  readiness(name: string): ReadinessCheck {
    return {
      name,
      check: async () => {
        if (!this.caughtUp) throw new Error(`${this.options.stream}: replay not read yet`);
        if (this.redis.status !== "ready")
          throw new Error(`${this.options.stream}: follower connection ${this.redis.status}`);
      },
    };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.redis.disconnect();
    await this.loop?.catch(() => undefined);
  }

  private async startPosition(): Promise<string> {
    if (this.options.replayMs > 0) {
      const [seconds, micros] = await this.redis.time();
      const now = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
      return `${Math.max(0, now - this.options.replayMs)}-0`;
    }
    const newest = (await this.redis.call("XREVRANGE", this.options.stream, "+", "-", "COUNT", "1")) as [
      string,
      string[],
    ][];
    return newest[0]?.[0] ?? "0-0";
  }

  private async read(block: boolean): Promise<number> {
    const args: (string | number)[] = ["COUNT", 500];
    if (block) args.push("BLOCK", this.options.blockMs ?? 5_000);
    const reply = (await this.redis.call(
      "XREAD",
      ...args,
      "STREAMS",
      this.options.stream,
      this.lastId ?? "0-0",
    )) as StreamReply;
    const entries = reply?.[0]?.[1] ?? [];
    for (const [id, fields] of entries) {
      this.lastId = id;
      const index = fields.indexOf("event");
      const text = index >= 0 ? fields[index + 1] : undefined;
      if (text === undefined) continue;
      try {
        this.options.onEvent(JSON.parse(text) as Record<string, unknown>, id);
      } catch (error) {
        this.options.logger?.warn("event not handled", {
          stream: this.options.stream,
          id,
          error: (error as Error).message,
        });
      }
    }
    return entries.length;
  }

  private async run(onCaughtUp: () => void): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      try {
        await redisReady(this.redis, 10_000);
        this.lastId ??= await this.startPosition();
        if (!this.caughtUp) {
          while ((await this.read(false)) > 0 && !this.stopped);
          this.caughtUp = true;
          onCaughtUp();
        }
        await this.read(true);
        failures = 0;
      } catch (error) {
        if (this.stopped) break;
        failures += 1;
        if (failures === 1 || failures % 20 === 0) {
          this.options.logger?.warn("event stream read failed; retrying", {
            stream: this.options.stream,
            error: (error as Error).message,
          });
        }
        await new Promise((resume) => setTimeout(resume, Math.min(failures * 100, 1_000)));
      }
    }
    if (!this.caughtUp) throw new Error(`${this.options.stream}: stopped before the replay was read`);
  }
}
