import type { OpenAPIHono } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import type { Redis } from "ioredis";
import type { EgressClient, RoomServiceClient } from "livekit-server-sdk";
import type { Counter } from "prom-client";
import {
  ApiError,
  type AppEnv,
  type Logger,
  type MeetingEventFeed,
  type Sql,
} from "../../../shared/src/index.ts";
import type { MeetingsConfig } from "../config.ts";
import type { MeetingAnnouncer } from "../meeting-announcements.ts";
import type { MeetingSeats } from "../meeting-seats.ts";
import type { MeetingRow, MemberRow } from "../meetings-store.ts";
import type { MemberLookups } from "../member-lookups.ts";
import type { RoomProvisioner } from "../room-provisioner.ts";

export type MeetingsRouter = OpenAPIHono<AppEnv>;

/** What the route modules share: connections, configuration, LiveKit clients and the token guard. */
export interface MeetingsContext {
  sql: Sql;
  redis: Redis;
  config: MeetingsConfig;
  rooms: RoomServiceClient;
  egress: EgressClient;
  seats: MeetingSeats;
  provisioner: RoomProvisioner;
  joins: Counter<"outcome">;
  requireUser: MiddlewareHandler<AppEnv>;
  logger: Logger;
  /** Removals and waiting-room decisions, told to chat and the other replicas after they commit. */
  announcer: MeetingAnnouncer;
  /** Meeting events as this process hears them (its own at once, other replicas' through the stream). */
  meetingEvents: MeetingEventFeed;
  /** Meeting-and-membership lookups of concurrent requests, one query per batch. */
  members: MemberLookups;
}

export const bearerSecurity = [{ bearerAuth: [] }];

export const jsonBody = <T>(schema: T) => ({ content: { "application/json": { schema } }, required: true });
export const jsonResponse = <T>(description: string, schema: T) => ({
  description,
  content: { "application/json": { schema } },
});

export const meetingNotFound = (id: string) =>
  new ApiError(404, "meeting_not_found", `no meeting ${id} that you belong to`);

/**
 * The meeting and the caller's membership. Non-members get the same 404 as for a meeting that does not exist,
 * so meeting ids cannot be probed; removed members are told they were removed.
 */
export async function meetingForMember(
  ctx: MeetingsContext,
  meetingId: string,
  userId: string,
): Promise<{ meeting: MeetingRow; member: MemberRow }> {
  const { meeting, member } = await ctx.members.find(meetingId, userId);
  if (!meeting || !member) throw meetingNotFound(meetingId);
  if (member.removedAt)
    throw new ApiError(403, "participant_removed", "you were removed from this meeting and cannot rejoin it");
  return { meeting, member };
}

/** Host or co-host, checked against the meeting's own membership (never the token's organisation roles). */
export async function meetingForModerator(
  ctx: MeetingsContext,
  meetingId: string,
  userId: string,
  action: string,
): Promise<{ meeting: MeetingRow; member: MemberRow }> {
  const found = await meetingForMember(ctx, meetingId, userId);
  if (found.member.role !== "host" && found.member.role !== "co-host")
    throw new ApiError(403, "forbidden", `only the host or a co-host may ${action}`);
  return found;
}

export function requireLive(meeting: MeetingRow, action: string): void {
  if (meeting.state !== "live")
    throw new ApiError(
      409,
      "meeting_not_live",
      `cannot ${action}: the meeting is ${meeting.state}, not live`,
    );
}

/** A LiveKit API failure as a problem: 404s stay 404s (the thing is gone), anything else is the SFU's fault. */
export function liveKitProblem(error: unknown, what: string): ApiError {
  const status = (error as { status?: number }).status;
  const message = (error as Error).message ?? String(error);
  if (status === 404)
    return new ApiError(
      404,
      `${what}_not_found`,
      `LiveKit has no such ${what.replace(/_/g, " ")}: ${message}`,
    );
  return new ApiError(502, "media_error", `the media server refused the request: ${message}`);
}
