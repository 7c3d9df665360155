import { createRoute, z } from "@hono/zod-openapi";
import { ApiError, createRouter, problemResponseSpec } from "../../../shared/src/index.ts";
import type { MeetingRecorder } from "../meeting-recorder.ts";
import type { MeetingRow, MemberRow } from "../meetings-store.ts";
import { mainRoomName } from "../meetings-store.ts";
import {
  advanceRecording,
  findRecording,
  insertRecording,
  isFinished,
  listRecordings,
  markRecordingDeleted,
  recordingStatusOf,
} from "../recordings-store.ts";
import { MeetingIdParams, PlaybackSchema, RecordingParams, RecordingSchema } from "../schemas.ts";
import {
  bearerSecurity,
  jsonResponse,
  type MeetingsContext,
  type MeetingsRouter,
  meetingForMember,
  requireLive,
} from "./context.ts";
import { recordingView } from "./views.ts";

const problems = {
  401: problemResponseSpec("no valid access token"),
  403: problemResponseSpec("the meeting does not allow this member's role to record"),
  404: problemResponseSpec("no such meeting or recording"),
  409: problemResponseSpec("the meeting or recording is not in a state that allows this"),
  422: problemResponseSpec("a parameter is invalid"),
};

/** Recording is allowed by the meeting's settings and only for the roles it names. */
function requireRecorder(meeting: MeetingRow, member: MemberRow): void {
  if (!meeting.recordingAllowed)
    throw new ApiError(403, "recording_not_allowed", "this meeting's settings do not allow recording");
  if (!meeting.recordingRoles.includes(member.role))
    throw new ApiError(
      403,
      "recording_not_allowed",
      `the ${member.role} role may not record this meeting (allowed: ${meeting.recordingRoles.join(", ") || "none"})`,
    );
}

export function recordingRoutes(ctx: MeetingsContext, recorder: MeetingRecorder): MeetingsRouter {
  const router = createRouter();
  const guarded = { tags: ["recordings"], security: bearerSecurity, middleware: [ctx.requireUser] };
  const recordingOf = async (meetingId: string, recordingId: string) => {
    const found = await findRecording(ctx.sql, meetingId, recordingId);
    if (!found) throw new ApiError(404, "recording_not_found", `no recording ${recordingId} in this meeting`);
    return found;
  };

  router.openapi(
    createRoute({
      method: "post",
      path: "/v1/meetings/{id}/recordings",
      summary: "Start a room-composite recording of the main room to the recordings Space",
      ...guarded,
      request: { params: MeetingIdParams },
      responses: {
        201: jsonResponse("the recording", RecordingSchema),
        ...problems,
        502: problemResponseSpec("LiveKit egress refused"),
        503: problemResponseSpec("no egress worker is available"),
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const userId = c.get("principal").subject;
      const { meeting, member } = await meetingForMember(ctx, id, userId);
      requireRecorder(meeting, member);
      requireLive(meeting, "record");
      const objectKey = recorder.objectKey(id);
      const started = await recorder.start(mainRoomName(id), objectKey);
      const row = await insertRecording(ctx.sql, {
        meetingId: id,
        egressId: started.egressId,
        objectKey,
        status: recordingStatusOf(started.status),
        startedBy: userId,
      });
      return c.json(recordingView(row), 201);
    },
  );

  router.openapi(
    createRoute({
      method: "get",
      path: "/v1/meetings/{id}/recordings",
      summary: "Recordings of the meeting with their status from egress webhooks",
      ...guarded,
      request: { params: MeetingIdParams },
      responses: {
        200: jsonResponse("recordings", z.object({ recordings: z.array(RecordingSchema) })),
        ...problems,
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const { meeting, member } = await meetingForMember(ctx, id, c.get("principal").subject);
      if (member.role !== "host" && member.role !== "co-host") requireRecorder(meeting, member);
      return c.json({ recordings: (await listRecordings(ctx.sql, id)).map(recordingView) }, 200);
    },
  );

  router.openapi(
    createRoute({
      method: "post",
      path: "/v1/meetings/{id}/recordings/{recordingId}/stop",
      summary: "Stop a recording; it becomes complete when egress reports the file written",
      ...guarded,
      request: { params: RecordingParams },
      responses: {
        200: jsonResponse("the recording", RecordingSchema),
        ...problems,
        502: problemResponseSpec("LiveKit egress refused"),
        503: problemResponseSpec("no egress worker is available"),
      },
    }),
    async (c) => {
      const { id, recordingId } = c.req.valid("param");
      const { meeting, member } = await meetingForMember(ctx, id, c.get("principal").subject);
      requireRecorder(meeting, member);
      const recording = await recordingOf(id, recordingId);
      if (isFinished(recording.status))
        throw new ApiError(409, "recording_finished", `the recording is already ${recording.status}`);
      await recorder.stop(recording.egressId);
      await advanceRecording(ctx.sql, recording.egressId, "ending", null);
      return c.json(recordingView(await recordingOf(id, recordingId)), 200);
    },
  );

  router.openapi(
    createRoute({
      method: "get",
      path: "/v1/meetings/{id}/recordings/{recordingId}/playback",
      summary: "A time-limited URL to play a finished recording (an S3 presigned GET on the Space)",
      ...guarded,
      request: { params: RecordingParams },
      responses: { 200: jsonResponse("the playback URL", PlaybackSchema), ...problems },
    }),
    async (c) => {
      const { id, recordingId } = c.req.valid("param");
      const { meeting, member } = await meetingForMember(ctx, id, c.get("principal").subject);
      if (member.role !== "host" && member.role !== "co-host") requireRecorder(meeting, member);
      const recording = await recordingOf(id, recordingId);
      if (recording.status !== "complete")
        throw new ApiError(409, "recording_not_ready", `the recording is ${recording.status}, not complete`);
      const { url, expiresAt } = recorder.playbackUrl(recording.objectKey);
      return c.json({ url, expiresAt: expiresAt.toISOString() }, 200);
    },
  );

  router.openapi(
    createRoute({
      method: "delete",
      path: "/v1/meetings/{id}/recordings/{recordingId}",
      summary: "Delete a recording: stopped if still running, its file removed from the Space",
      ...guarded,
      request: { params: RecordingParams },
      responses: {
        204: { description: "deleted" },
        ...problems,
        502: problemResponseSpec("the recordings store or egress refused"),
        503: problemResponseSpec("no egress worker is available"),
      },
    }),
    async (c) => {
      const { id, recordingId } = c.req.valid("param");
      const { meeting, member } = await meetingForMember(ctx, id, c.get("principal").subject);
      if (member.role !== "host" && member.role !== "co-host") requireRecorder(meeting, member);
      const recording = await recordingOf(id, recordingId);
      if (!isFinished(recording.status)) await recorder.stop(recording.egressId);
      await recorder.deleteObject(recording.objectKey);
      await markRecordingDeleted(ctx.sql, recording.id);
      return c.body(null, 204);
    },
  );

  return router;
}
