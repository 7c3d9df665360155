import { EgressStatus } from "livekit-server-sdk";
import type { Queryable } from "../../shared/src/index.ts";

export const RECORDING_STATUSES = ["starting", "active", "ending", "complete", "failed", "aborted"] as const;
export type RecordingStatus = (typeof RECORDING_STATUSES)[number];

export interface RecordingRow {
  id: string;
  meetingId: string;
  egressId: string;
  objectKey: string;
  status: RecordingStatus;
  error: string | null;
  startedBy: string;
  startedAt: Date;
  endedAt: Date | null;
  deletedAt: Date | null;
}

const COLUMNS = `id, meeting_id as "meetingId", egress_id as "egressId", object_key as "objectKey", status, error,
  started_by as "startedBy", started_at as "startedAt", ended_at as "endedAt", deleted_at as "deletedAt"`;

/** LiveKit's egress states (livekit_egress.proto) as a recording's status; a limit reached still wrote a file. */
export function recordingStatusOf(status: EgressStatus): RecordingStatus {
  switch (status) {
    case EgressStatus.EGRESS_STARTING:
      return "starting";
    case EgressStatus.EGRESS_ACTIVE:
      return "active";
    case EgressStatus.EGRESS_ENDING:
      return "ending";
    case EgressStatus.EGRESS_COMPLETE:
    case EgressStatus.EGRESS_LIMIT_REACHED:
      return "complete";
    case EgressStatus.EGRESS_FAILED:
      return "failed";
    default:
      return "aborted";
  }
}

const RANK: Record<RecordingStatus, number> = {
  starting: 0,
  active: 1,
  ending: 2,
  complete: 3,
  failed: 3,
  aborted: 3,
};
export const isFinished = (status: RecordingStatus) => RANK[status] === 3;

export async function insertRecording(
  sql: Queryable,
  r: { meetingId: string; egressId: string; objectKey: string; status: RecordingStatus; startedBy: string },
): Promise<RecordingRow> {
  const [row] = await sql.unsafe<RecordingRow[]>(
    `insert into recordings (meeting_id, egress_id, object_key, status, started_by) values ($1, $2, $3, $4, $5)
     on conflict (egress_id) do update set meeting_id = excluded.meeting_id returning ${COLUMNS}`,
    [r.meetingId, r.egressId, r.objectKey, r.status, r.startedBy],
  );
  return row!;
}

/** Status only moves forward, so a replayed or late `egress_updated` never undoes `egress_ended`. */
export async function advanceRecording(
  sql: Queryable,
  egressId: string,
  status: RecordingStatus,
  error: string | null,
): Promise<boolean> {
  const rank = RANK[status];
  const rows = await sql`
    update recordings set status = ${status}, error = coalesce(${error}, error),
      ended_at = case when ${rank} = 3 then coalesce(ended_at, now()) else ended_at end
    where egress_id = ${egressId} and (case status when 'starting' then 0 when 'active' then 1 when 'ending' then 2
      else 3 end) < ${rank}
    returning id`;
  return rows.length > 0;
}

export async function listRecordings(sql: Queryable, meetingId: string): Promise<RecordingRow[]> {
  return await sql.unsafe<RecordingRow[]>(
    `select ${COLUMNS} from recordings where meeting_id = $1 and deleted_at is null order by started_at, id`,
    [meetingId],
  );
}

export async function findRecording(
  sql: Queryable,
  meetingId: string,
  id: string,
): Promise<RecordingRow | undefined> {
  const [row] = await sql.unsafe<RecordingRow[]>(
    `select ${COLUMNS} from recordings where meeting_id = $1 and id = $2 and deleted_at is null`,
    [meetingId, id],
  );
  return row;
}

export async function markRecordingDeleted(sql: Queryable, id: string): Promise<void> {
  await sql`update recordings set deleted_at = coalesce(deleted_at, now()) where id = ${id}`;
}
