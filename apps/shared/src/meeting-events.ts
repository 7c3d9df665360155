import type { Redis } from "ioredis";
import type { ReadinessCheck } from "./app.ts";
import { appendEvent, StreamFollower } from "./event-stream.ts";
import type { Logger } from "./logger.ts";

/** The stream meetings appends participant removals and waiting-room decisions to; chat and meetings follow it. */
export const MEETING_EVENTS_STREAM = "gomeet:events:meetings";

/** Followers start at the newest entry, so the stream only has to cover reconnects: ten minutes is plenty. */
export const MEETING_EVENTS_RETENTION_MS = 10 * 60_000;

/**
 * `participant_removed`: the user is out of the meeting for good (chat closes their sockets in it and forgets
 * the cached membership). `waiting_decided`: a moderator admitted or denied the user waiting to join (the
 * replica holding their decision stream pushes it).
 */
export type MeetingEvent =
  | { kind: "participant_removed"; meetingId: string; userId: string }
  | { kind: "waiting_decided"; meetingId: string; userId: string; status: "admitted" | "denied" };

export async function publishMeetingEvent(redis: Redis, event: MeetingEvent): Promise<void> {
  await appendEvent(redis, MEETING_EVENTS_STREAM, event, MEETING_EVENTS_RETENTION_MS);
}

export function parseMeetingEvent(raw: Record<string, unknown>): MeetingEvent | undefined {
  const { kind, meetingId, userId, status } = raw;
  if (typeof meetingId !== "string" || typeof userId !== "string") return undefined;
  if (kind === "participant_removed") return { kind, meetingId, userId };
  if (kind === "waiting_decided" && (status === "admitted" || status === "denied"))
    return { kind, meetingId, userId, status };
  return undefined;
}

/**
 * Meeting events for one process: followed from the stream (every replica of chat and meetings) and handed to
 * listeners. `emit` hands an event to this process's listeners at once; the same event coming back through
 * the stream is handed again, so listeners must be idempotent (closing a closed socket, pushing a decision to
 * a stream already answered).
 */
export class MeetingEventFeed {
  private readonly listeners = new Set<(event: MeetingEvent) => void>();
  private follower: StreamFollower | undefined;

  onEvent(listener: (event: MeetingEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(event: MeetingEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  /** Follows the stream from its newest entry (what happened before this process started concerns no socket here). */
  follow(options: { connection: Redis; logger?: Logger }): StreamFollower {
    this.follower ??= new StreamFollower({
      connection: options.connection,
      stream: MEETING_EVENTS_STREAM,
      replayMs: 0,
      onEvent: (raw) => {
        const event = parseMeetingEvent(raw);
        if (event) this.emit(event);
      },
      ...(options.logger ? { logger: options.logger } : {}),
    });
    void this.follower.start().catch(() => undefined);
    return this.follower;
  }

  readiness(): ReadinessCheck {
    if (!this.follower) throw new Error("MeetingEventFeed.readiness: call follow() first");
    return this.follower.readiness("meeting_events");
  }

  async stop(): Promise<void> {
    await this.follower?.stop();
  }
}
