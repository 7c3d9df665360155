import { createRoute, z } from "@hono/zod-openapi";
import { streamSSE } from "hono/streaming";
import { ApiError, createRouter, type MeetingEvent, problemResponseSpec } from "../../../shared/src/index.ts";
import { MeetingIdParams } from "../schemas.ts";
import { findWaitingEntry, type WaitingStatus } from "../waiting-room-store.ts";
import { bearerSecurity, type MeetingsContext, type MeetingsRouter, meetingForMember } from "./context.ts";

/** A comment line this often keeps proxies from closing an idle stream, and re-reads the entry as a safety net. */
const HEARTBEAT_MS = 15_000;

const DecisionEventSchema = z
  .object({ status: z.enum(["waiting", "admitted", "denied"]) })
  .openapi("WaitingDecisionEvent", {
    description:
      "`data` of each `decision` event. `waiting`: first event while undecided; `admitted`: POST the join again for the token; `denied`: final.",
  });

/**
 * The waiting attendee's side of the waiting room, pushed: instead of polling the join, the client holds this
 * Server-Sent Events stream and hears the moderator's decision as it is taken, on whatever replica. The join
 * stays the authority (polling it keeps working); this only says when to call it again.
 */
export function waitingDecisionRoutes(ctx: MeetingsContext): MeetingsRouter {
  const router = createRouter();
  router.openapi(
    createRoute({
      method: "get",
      path: "/v1/meetings/{id}/join/decision",
      tags: ["waiting room"],
      summary:
        "Server-Sent Events: the waiting-room decision on the caller's join, pushed when a moderator takes it",
      security: bearerSecurity,
      middleware: [ctx.requireUser],
      request: { params: MeetingIdParams },
      responses: {
        200: {
          description:
            "text/event-stream: `decision` events (`waiting` first while undecided, then `admitted` or `denied`), comments as heartbeats; ends after the decision or when the access token expires",
          content: { "text/event-stream": { schema: DecisionEventSchema } },
        },
        401: problemResponseSpec("no valid access token"),
        403: problemResponseSpec("removed from the meeting"),
        404: problemResponseSpec("no such meeting, or the caller has not joined through its waiting room"),
        422: problemResponseSpec("id is not a UUID"),
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const principal = c.get("principal");
      const userId = principal.subject;
      await meetingForMember(ctx, id, userId);

      // Listen before reading the entry: a decision taken in between is heard, not lost.
      let wake: (status: WaitingStatus) => void = () => undefined;
      const pushed = new Promise<WaitingStatus>((resolve) => {
        wake = resolve;
      });
      const stopListening = ctx.meetingEvents.onEvent((event: MeetingEvent) => {
        if (event.kind === "waiting_decided" && event.meetingId === id && event.userId === userId)
          wake(event.status);
      });
      const entry = await findWaitingEntry(ctx.sql, id, userId).catch((error: unknown) => {
        stopListening();
        throw error;
      });
      if (!entry) {
        stopListening();
        throw new ApiError(
          404,
          "waiting_entry_not_found",
          `you are not in the waiting room of meeting ${id}: POST /v1/meetings/${id}/join first`,
        );
      }

      return streamSSE(c, async (stream) => {
        let open = true;
        stream.onAbort(() => {
          open = false;
          wake("waiting");
        });
        const send = (status: WaitingStatus) =>
          stream.writeSSE({ event: "decision", data: JSON.stringify({ status }) });
        // The stream ends when the token does: the client reconnects with a fresh one.
        const expiresInMs = Math.max(0, principal.expiresAt * 1000 - Date.now());
        const expiry = setTimeout(() => wake("waiting"), expiresInMs);
        try {
          await send(entry.status);
          let status = entry.status;
          while (open && status === "waiting" && Date.now() < principal.expiresAt * 1000) {
            let tick: NodeJS.Timeout | undefined;
            const heartbeat = new Promise<"tick">((resolve) => {
              tick = setTimeout(() => resolve("tick"), HEARTBEAT_MS);
            });
            const woke = await Promise.race([pushed, heartbeat]);
            clearTimeout(tick);
            if (woke === "tick") {
              await stream.write(": still waiting\n\n");
              status = (await findWaitingEntry(ctx.sql, id, userId))?.status ?? "waiting";
            } else {
              status = woke;
            }
            if (open && status !== "waiting") await send(status);
          }
        } finally {
          clearTimeout(expiry);
          stopListening();
        }
      }) as never;
    },
  );
  return router;
}
