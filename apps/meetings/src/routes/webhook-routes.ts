import { createRoute, z } from "@hono/zod-openapi";
import { WebhookReceiver } from "livekit-server-sdk";
import { ApiError, createRouter, problemResponseSpec } from "../../../shared/src/index.ts";
import { applyWebhookEvent } from "../livekit-webhooks.ts";
import { jsonResponse, type MeetingsContext, type MeetingsRouter } from "./context.ts";
import { evictFromRoom } from "./participant-routes.ts";

/** In-cluster only: LiveKit posts here (docs/gateway.md routes only /v1/… to services). */
export function webhookRoutes(ctx: MeetingsContext): MeetingsRouter {
  const router = createRouter();
  const receiver = new WebhookReceiver(ctx.config.livekit.apiKey, ctx.config.livekit.apiSecret);

  router.openapi(
    createRoute({
      method: "post",
      path: "/livekit/webhook",
      tags: ["livekit"],
      summary:
        "LiveKit webhook (application/webhook+json): signature checked on the raw body, deduplicated by event id",
      responses: {
        200: jsonResponse(
          "applied, a duplicate, or not about a meeting",
          z.object({ outcome: z.enum(["applied", "duplicate", "ignored"]) }),
        ),
        401: problemResponseSpec("the Authorization JWT or the body hash does not verify"),
      },
    }),
    async (c) => {
      // The signature covers the exact bytes LiveKit sent, so the body is read as text before any parsing.
      const body = await c.req.text();
      let event: Awaited<ReturnType<WebhookReceiver["receive"]>>;
      try {
        event = await receiver.receive(body, c.req.header("authorization"));
      } catch (error) {
        throw new ApiError(401, "invalid_webhook", `webhook refused: ${(error as Error).message}`);
      }
      if (!event.id) throw new ApiError(401, "invalid_webhook", "webhook refused: the event has no id");
      const outcome = await applyWebhookEvent(
        {
          sql: ctx.sql,
          seats: ctx.seats,
          provisioner: ctx.provisioner,
          evict: (room, identity) => evictFromRoom(ctx, room, identity),
          logger: c.get("logger"),
        },
        event,
      );
      return c.json({ outcome }, 200);
    },
  );
  return router;
}
