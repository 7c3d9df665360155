import { TrackSource, TrackType, type WebhookEvent } from "livekit-server-sdk";
import type { Logger, Sql } from "../../shared/src/index.ts";
import type { MeetingSeats } from "./meeting-seats.ts";
import { findMember, moveMeeting, parseRoomName, setRoomSid } from "./meetings-store.ts";
import {
  markRoomEmpty,
  type PublishedTrack,
  recordJoined,
  recordLeft,
  recordTrack,
  stillConnected,
} from "./participants-store.ts";
import { advanceRecording, recordingStatusOf } from "./recordings-store.ts";
import { PRECREATED_METADATA } from "./room-precreator.ts";
import type { RoomProvisioner } from "./room-provisioner.ts";

export interface WebhookDeps {
  sql: Sql;
  seats: MeetingSeats;
  provisioner: RoomProvisioner;
  /** Called when someone the meeting removed shows up in a room anyway (keep them out). */
  evict: (room: string, identity: string) => Promise<void>;
  logger: Logger;
}

export type WebhookOutcome = "applied" | "duplicate" | "ignored";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** ParticipantInfo.Kind STANDARD (livekit_models.proto): egress recorders, agents and SIP are not members. */
const STANDARD_PARTICIPANT = 0;

export function trackOf(info: { type: TrackType; source: TrackSource; muted: boolean }): PublishedTrack {
  const sources: Record<number, string> = {
    [TrackSource.CAMERA]: "camera",
    [TrackSource.MICROPHONE]: "microphone",
    [TrackSource.SCREEN_SHARE]: "screen_share",
    [TrackSource.SCREEN_SHARE_AUDIO]: "screen_share_audio",
  };
  const types: Record<number, string> = { [TrackType.AUDIO]: "audio", [TrackType.VIDEO]: "video" };
  return { source: sources[info.source] ?? "unknown", type: types[info.type] ?? "data", muted: info.muted };
}

function precreated(metadata: string): boolean {
  try {
    return (JSON.parse(metadata) as Record<string, unknown>)[PRECREATED_METADATA] === "true";
  } catch {
    return false;
  }
}

/**
 * Applies one verified LiveKit webhook. The event id is recorded in the same transaction as the state change,
 * so a replay is acknowledged without effect and a failed change is retried by LiveKit (LiveKit docs,
 * "Webhooks", https://docs.livekit.io/server/webhooks/).
 * Redis seat updates follow the commit; the reconciler repairs them if one is lost.
 */
export async function applyWebhookEvent(deps: WebhookDeps, event: WebhookEvent): Promise<WebhookOutcome> {
  const at = new Date(Number(event.createdAt) * 1000 || Date.now());
  const after: (() => Promise<void>)[] = [];
  const outcome = await deps.sql.begin(async (tx): Promise<WebhookOutcome> => {
    const fresh = await tx`insert into webhook_events (id, event) values (${event.id}, ${event.event})
      on conflict (id) do nothing returning id`;
    if (fresh.length === 0) return "duplicate";
    const roomName = event.room?.name ?? event.egressInfo?.roomName ?? "";
    const target = parseRoomName(roomName);
    if (!target) return "ignored";
    const { meetingId, breakout } = target;
    const [exists] = await tx`select 1 from meetings where id = ${meetingId}`;
    if (!exists) return "ignored";

    switch (event.event) {
      case "room_started":
        if (breakout === null && event.room) {
          await setRoomSid(tx, meetingId, event.room.sid);
          // A room created ahead of the schedule (room-precreator.ts) is ready, not started: the host starts it.
          if (!precreated(event.room.metadata)) await moveMeeting(tx, meetingId, "scheduled", "live");
        }
        return "applied";
      case "room_finished":
        await markRoomEmpty(tx, roomName, at);
        after.push(() => deps.provisioner.forget(roomName));
        if (breakout === null) {
          // The meeting ends when its room finishes.
          await moveMeeting(tx, meetingId, "live", "ended", "room_finished");
          after.push(() => deps.seats.clear(meetingId));
        }
        return "applied";
      case "participant_joined": {
        const p = event.participant;
        if (!p || p.kind !== STANDARD_PARTICIPANT || !UUID.test(p.identity)) return "ignored";
        const tracks = Object.fromEntries(p.tracks.map((t) => [t.sid, trackOf(t)]));
        await recordJoined(tx, { roomName, identity: p.identity, meetingId, sid: p.sid, at, tracks });
        const member = await findMember(tx, meetingId, p.identity);
        if (!member || member.removedAt) after.push(() => deps.evict(roomName, p.identity));
        else after.push(() => deps.seats.markConnected(meetingId, p.identity));
        return "applied";
      }
      case "participant_left":
      case "participant_connection_aborted": {
        const p = event.participant;
        if (!p || !UUID.test(p.identity)) return "ignored";
        const left = await recordLeft(tx, { roomName, identity: p.identity, sid: p.sid, at });
        // Moving to a breakout room is leave + join: the seat is kept while any room of the meeting has them.
        if (left && !(await stillConnected(tx, meetingId, p.identity)))
          after.push(() => deps.seats.release(meetingId, p.identity));
        return "applied";
      }
      case "track_published":
      case "track_unpublished": {
        const p = event.participant;
        const t = event.track;
        if (!p || !t) return "ignored";
        await recordTrack(tx, {
          roomName,
          identity: p.identity,
          sid: p.sid,
          trackSid: t.sid,
          track: event.event === "track_published" ? trackOf(t) : null,
        });
        return "applied";
      }
      case "egress_started":
      case "egress_updated":
      case "egress_ended": {
        const info = event.egressInfo;
        if (!info) return "ignored";
        await advanceRecording(tx, info.egressId, recordingStatusOf(info.status), info.error || null);
        return "applied";
      }
      default:
        return "ignored";
    }
  });
  for (const effect of after) {
    try {
      await effect();
    } catch (error) {
      deps.logger.warn("webhook side effect failed; the reconciler will repair it", {
        event: event.event,
        error: (error as Error).message,
      });
    }
  }
  return outcome;
}
