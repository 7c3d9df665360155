import { z } from "@hono/zod-openapi";
import { MEETING_STATES } from "./meeting-lifecycle.ts";
import { INVITABLE_ROLES, MEETING_MODES, MEETING_ROLES } from "./meeting-roles.ts";
import { RECORDING_STATUSES } from "./recordings-store.ts";

const noControlChars = (value: string) => !/[\p{Cc}\p{Cf}]/u.test(value);

const uuid = (name: string) =>
  z
    .uuid({ error: "expected a UUID" })
    .openapi({ param: { name, in: "path" }, example: "5f0c3f1e-8a4b-4f55-9d7e-2d1f0c9b7a10" });

export const MeetingIdParams = z.object({ id: uuid("id") });
export const MemberParams = z.object({ id: uuid("id"), userId: uuid("userId") });
export const InvitationParams = z.object({ id: uuid("id"), invitationId: uuid("invitationId") });
export const RecordingParams = z.object({ id: uuid("id"), recordingId: uuid("recordingId") });
export const TrackParams = z.object({
  id: uuid("id"),
  userId: uuid("userId"),
  trackSid: z
    .string()
    .regex(/^TR_[A-Za-z0-9]{1,64}$/, { error: "expected a LiveKit track sid (TR_…)" })
    .openapi({ param: { name: "trackSid", in: "path" }, example: "TR_AMkSZYZ3vwaXP" }),
});

const TitleSchema = z
  .string({ error: "expected a string" })
  .trim()
  .min(1, { error: "expected at least 1 character" })
  .max(200, { error: "expected at most 200 characters" })
  .refine(noControlChars, { error: "must not contain control characters" });
const RoleList = z
  .array(z.enum(MEETING_ROLES, { error: `expected one of ${MEETING_ROLES.join(", ")}` }))
  .max(4, { error: "expected at most 4 roles" });

const SettingsSchema = z
  .object({
    recordingAllowed: z.boolean({ error: "expected true or false" }).default(false),
    recordingRoles: RoleList.default(["host", "co-host"]),
    screenShareRoles: RoleList.default(["host", "co-host", "presenter"]),
    waitingRoom: z.boolean({ error: "expected true or false" }).default(false),
  })
  .strict();

const StartsAt = z.iso
  .datetime({ offset: true, error: "expected an ISO 8601 date-time with offset" })
  .transform((v) => new Date(v));
const Duration = z
  .number({ error: "expected a number of minutes" })
  .int({ error: "expected an integer" })
  .min(1, { error: "expected at least 1 minute" })
  .max(1440, { error: "expected at most 1440 minutes" });
/** 500 is the platform's meeting size (README.md: 100 concurrent meetings of 500 participants each). */
const Capacity = z
  .number({ error: "expected a number of participants" })
  .int({ error: "expected an integer" })
  .min(2, { error: "expected at least 2" })
  .max(500, { error: "expected at most 500" });
const Mode = z.enum(MEETING_MODES, { error: "expected meeting or webinar" });

export const CreateMeetingBody = z
  .object({
    title: TitleSchema,
    startsAt: StartsAt.openapi({ type: "string", format: "date-time" }),
    durationMinutes: Duration,
    capacity: Capacity,
    mode: Mode.default("meeting"),
    settings: SettingsSchema.default({
      recordingAllowed: false,
      recordingRoles: ["host", "co-host"],
      screenShareRoles: ["host", "co-host", "presenter"],
      waitingRoom: false,
    }),
  })
  .strict()
  .openapi("CreateMeetingRequest");

export const UpdateMeetingBody = z
  .object({
    title: TitleSchema.optional(),
    startsAt: StartsAt.openapi({ type: "string", format: "date-time" }).optional(),
    durationMinutes: Duration.optional(),
    capacity: Capacity.optional(),
    mode: Mode.optional(),
    settings: z
      .object({
        recordingAllowed: z.boolean({ error: "expected true or false" }).optional(),
        recordingRoles: RoleList.optional(),
        screenShareRoles: RoleList.optional(),
        waitingRoom: z.boolean({ error: "expected true or false" }).optional(),
      })
      .strict()
      .optional(),
  })
  .strict()
  .openapi("UpdateMeetingRequest");

export const MeetingSchema = z
  .object({
    id: z.string(),
    ownerId: z.string(),
    title: z.string(),
    startsAt: z.string(),
    durationMinutes: z.number(),
    capacity: z.number(),
    mode: z.enum(MEETING_MODES),
    settings: z.object({
      recordingAllowed: z.boolean(),
      recordingRoles: z.array(z.enum(MEETING_ROLES)),
      screenShareRoles: z.array(z.enum(MEETING_ROLES)),
      waitingRoom: z.boolean(),
    }),
    state: z.enum(MEETING_STATES),
    breakoutsOpen: z.boolean(),
    startedAt: z.string().nullable(),
    endedAt: z.string().nullable(),
    endedReason: z.string().nullable(),
    myRole: z.enum(MEETING_ROLES).optional(),
  })
  .openapi("Meeting");

export const ListMeetingsQuery = z.object({
  state: z
    .enum([...MEETING_STATES, "upcoming", "all"], {
      error: "expected scheduled, live, ended, cancelled, upcoming or all",
    })
    .default("upcoming"),
  limit: z.coerce
    .number({ error: "expected a number" })
    .int({ error: "expected an integer" })
    .min(1, { error: "expected at least 1" })
    .max(100, { error: "expected at most 100" })
    .default(20),
  cursor: z.string().max(200, { error: "expected at most 200 characters" }).optional(),
});

export const MeetingPageSchema = z
  .object({ meetings: z.array(MeetingSchema), nextCursor: z.string().nullable() })
  .openapi("MeetingPage");

export const MemberSchema = z
  .object({
    userId: z.string(),
    role: z.enum(MEETING_ROLES),
    canPublish: z.boolean().nullable(),
    canScreenShare: z.boolean().nullable(),
    removed: z.boolean(),
  })
  .openapi("Member");

export const SetRoleBody = z
  .object({ role: z.enum(INVITABLE_ROLES, { error: "expected co-host, presenter or attendee" }) })
  .strict()
  .openapi("SetRoleRequest");

export const CreateInvitationBody = z
  .discriminatedUnion(
    "kind",
    [
      z
        .object({
          kind: z.literal("email"),
          email: z
            .email({ error: "expected an email address" })
            .max(254, { error: "expected at most 254 characters" }),
          role: z
            .enum(INVITABLE_ROLES, { error: "expected co-host, presenter or attendee" })
            .default("attendee"),
          expiresInSeconds: z.number().int().min(60).max(2_592_000).default(604_800),
        })
        .strict(),
      z
        .object({
          kind: z.literal("link"),
          role: z
            .enum(INVITABLE_ROLES, { error: "expected co-host, presenter or attendee" })
            .default("attendee"),
          maxUses: z
            .number({ error: "expected a number" })
            .int({ error: "expected an integer" })
            .min(1, { error: "expected at least 1" })
            .max(10_000, { error: "expected at most 10000" }),
          expiresInSeconds: z
            .number({ error: "expected a number of seconds" })
            .int({ error: "expected an integer" })
            .min(60, { error: "expected at least 60" })
            .max(2_592_000, { error: "expected at most 2592000 (30 days)" }),
        })
        .strict(),
    ],
    { error: "expected kind email or link" },
  )
  .openapi("CreateInvitationRequest");

export const InvitationSchema = z
  .object({
    id: z.string(),
    meetingId: z.string(),
    kind: z.enum(["email", "link"]),
    email: z.string().nullable(),
    role: z.enum(INVITABLE_ROLES),
    maxUses: z.number(),
    uses: z.number(),
    expiresAt: z.string(),
    revoked: z.boolean(),
  })
  .openapi("Invitation");

export const CreatedInvitationSchema = InvitationSchema.extend({
  code: z.string().openapi({ description: "Shown once: the secret the invitee presents to accept" }),
}).openapi("CreatedInvitation");

export const AcceptInvitationBody = z
  .object({
    code: z
      .string({ error: "expected a string" })
      .regex(/^[A-Za-z0-9_-]{43}$/, { error: "expected an invitation code (43 base64url characters)" }),
  })
  .strict()
  .openapi("AcceptInvitationRequest");

/** Optional: the name the participant shows in the meeting (pre-join's name field). */
export const JoinRequestBody = z
  .object({
    name: z
      .string({ error: "expected a string" })
      .trim()
      .min(1, { error: "expected at least 1 character" })
      .max(100, { error: "expected at most 100 characters" })
      .refine(noControlChars, { error: "must not contain control characters" })
      .optional(),
  })
  .strict()
  .openapi("JoinRequest");

export const JoinResponseSchema = z
  .object({
    url: z.string(),
    token: z.string(),
    expiresAt: z.string(),
    room: z.string(),
    breakoutRoom: z.number().nullable(),
    identity: z.string(),
    role: z.enum(MEETING_ROLES),
    grants: z.object({
      canPublish: z.boolean(),
      canSubscribe: z.boolean(),
      canPublishData: z.boolean(),
      canPublishSources: z.array(z.string()),
      roomAdmin: z.boolean(),
    }),
    clientSettings: z.object({
      adaptiveStream: z.boolean(),
      dynacast: z.boolean(),
      simulcast: z.boolean(),
      autoSubscribe: z.boolean(),
      maxVisibleVideoTiles: z.number(),
    }),
  })
  .openapi("JoinResponse");

export const ParticipantSchema = z
  .object({
    userId: z.string(),
    room: z.string(),
    breakoutRoom: z.number().nullable(),
    participantSid: z.string(),
    joinedAt: z.string(),
    tracks: z.array(z.object({ sid: z.string(), source: z.string(), type: z.string(), muted: z.boolean() })),
  })
  .openapi("Participant");

export const MuteBody = z
  .object({ muted: z.boolean({ error: "expected true or false" }) })
  .strict()
  .openapi("MuteTrackRequest");

export const PermissionsBody = z
  .object({
    canPublish: z.boolean({ error: "expected true, false or null" }).nullable().optional(),
    canScreenShare: z.boolean({ error: "expected true, false or null" }).nullable().optional(),
  })
  .strict()
  .refine((b) => b.canPublish !== undefined || b.canScreenShare !== undefined, {
    error: "expected canPublish or canScreenShare",
  })
  .openapi("PermissionsRequest");

export const CreateBreakoutsBody = z
  .object({
    count: z
      .number({ error: "expected a number" })
      .int({ error: "expected an integer" })
      .min(1, { error: "expected at least 1" })
      .max(50, { error: "expected at most 50" }),
  })
  .strict()
  .openapi("CreateBreakoutsRequest");

export const AssignBreakoutsBody = z
  .discriminatedUnion(
    "mode",
    [
      z
        .object({
          mode: z.literal("manual"),
          assignments: z
            .array(
              z
                .object({
                  userId: z.uuid({ error: "expected a UUID" }),
                  room: z
                    .number({ error: "expected a room number" })
                    .int({ error: "expected an integer" })
                    .min(1)
                    .max(50),
                })
                .strict(),
            )
            .min(1, { error: "expected at least 1 assignment" })
            .max(500, { error: "expected at most 500 assignments" }),
        })
        .strict(),
      z.object({ mode: z.literal("balanced") }).strict(),
    ],
    { error: "expected mode manual or balanced" },
  )
  .openapi("AssignBreakoutsRequest");

export const BroadcastBody = z
  .object({
    message: z
      .string({ error: "expected a string" })
      .trim()
      .min(1, { error: "expected at least 1 character" })
      .max(1000, { error: "expected at most 1000 characters" }),
  })
  .strict()
  .openapi("BroadcastRequest");

export const BreakoutsSchema = z
  .object({
    open: z.boolean(),
    rooms: z.array(
      z.object({ number: z.number(), name: z.string(), roomName: z.string(), members: z.array(z.string()) }),
    ),
  })
  .openapi("Breakouts");

export const RecordingSchema = z
  .object({
    id: z.string(),
    meetingId: z.string(),
    egressId: z.string(),
    status: z.enum(RECORDING_STATUSES),
    error: z.string().nullable(),
    startedBy: z.string(),
    startedAt: z.string(),
    endedAt: z.string().nullable(),
  })
  .openapi("Recording");

export const PlaybackSchema = z.object({ url: z.string(), expiresAt: z.string() }).openapi("Playback");
