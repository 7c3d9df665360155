import { z } from "@hono/zod-openapi";
import { WAITING_STATUSES } from "./waiting-room-store.ts";

/** The 202 answer of a join while the caller waits for a moderator; the client polls the same join. */
export const WaitingJoinSchema = z
  .object({
    status: z.literal("waiting"),
    meetingId: z.string(),
    position: z.number().int().openapi({ description: "1 for the member who has waited longest" }),
    requestedAt: z.string(),
    pollAfterSeconds: z.number().int(),
    poll: z.object({ method: z.literal("POST"), path: z.string() }).openapi({
      description:
        "Repeat this request: 202 while waiting, 200 with the token once admitted, 403 admission_denied once denied",
    }),
  })
  .openapi("WaitingJoin");

export const WaitingEntrySchema = z
  .object({
    userId: z.string(),
    status: z.enum(WAITING_STATUSES),
    requestedAt: z.string(),
    lastSeenAt: z.string(),
    decidedAt: z.string().nullable(),
    decidedBy: z.string().nullable(),
  })
  .openapi("WaitingEntry");

export const WaitingListSchema = z.object({ waiting: z.array(WaitingEntrySchema) }).openapi("WaitingList");
export const AdmittedAllSchema = z.object({ admitted: z.array(WaitingEntrySchema) }).openapi("AdmittedAll");
