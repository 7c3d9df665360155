import { describe, expect, it } from "vitest";
import type { MeetingsContext } from "../../apps/meetings/src/routes/context.ts";
import { webhookRoutes } from "../../apps/meetings/src/routes/webhook-routes.ts";
import { LIVEKIT_WEBHOOK_PATH, meetingsWebhookUrl, SERVICE_NAMES, serviceUrl } from "./service-registry.ts";

describe("service registry", () => {
  it("lists each control-plane service once, each with an app under apps/", () => {
    expect(new Set(SERVICE_NAMES).size).toBe(SERVICE_NAMES.length);
    expect([...SERVICE_NAMES]).toEqual(["auth", "meetings", "chat"]);
  });

  it("derives in-cluster URLs from the service's name, namespace and port", () => {
    expect(serviceUrl("chat")).toBe("http://chat.services.svc.cluster.local:8080");
    expect(serviceUrl("auth", "/.well-known/jwks.json")).toBe(
      "http://auth.services.svc.cluster.local:8080/.well-known/jwks.json",
    );
    expect(meetingsWebhookUrl()).toBe("http://meetings.services.svc.cluster.local:8080/livekit/webhook");
  });

  it("refuses a path that would run into the port", () => {
    expect(() => serviceUrl("meetings", "livekit/webhook")).toThrow(
      'serviceUrl: path must start with "/", got "livekit/webhook"',
    );
  });

  it("points LiveKit at the route meetings serves for its webhooks", () => {
    // Only the LiveKit credentials are read while the routes are declared.
    const ctx = { config: { livekit: { apiKey: "key", apiSecret: "secret-of-32-characters-or-more!" } } };
    const router = webhookRoutes(ctx as unknown as MeetingsContext);
    const document = router.getOpenAPIDocument({
      openapi: "3.0.0",
      info: { title: "meetings", version: "0" },
    });
    expect(Object.keys(document.paths ?? {})).toContain(LIVEKIT_WEBHOOK_PATH);
    expect(document.paths?.[LIVEKIT_WEBHOOK_PATH]?.post).toBeDefined();
  });
});
