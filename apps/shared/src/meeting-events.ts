import type { Redis } from "ioredis";
import { appendEvent } from "./event-stream.ts";

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
