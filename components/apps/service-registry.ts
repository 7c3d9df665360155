import { NAMESPACES } from "../baseline/namespaces.ts";
import { PLATFORM_PORTS } from "../baseline/platform-ports.ts";

/**
 * The control-plane services (apps/auth, apps/meetings, apps/chat): the one list that databases, quotas, pool
 * sizes, ServiceMonitors and Deployments are made from, so adding or removing a service is one edit here (and
 * the stack config keys of stacks/schema.ts that the type checker then asks for).
 */
export const SERVICE_NAMES = ["auth", "meetings", "chat"] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

/** Every service runs in this namespace (components/baseline/namespaces.ts). */
export const SERVICES_NAMESPACE = NAMESPACES.services;

/** Every service serves HTTP, WebSockets and /metrics on this port, named `http` on its pods and Service. */
export const SERVICE_PORT = PLATFORM_PORTS.serviceHttp;

/** meetings' route for LiveKit's webhooks (apps/meetings/src/routes/webhook-routes.ts). */
export const LIVEKIT_WEBHOOK_PATH = "/livekit/webhook";

/** In-cluster address of a service's Kubernetes Service (what other services and LiveKit call). */
export function serviceUrl(service: ServiceName, path = ""): string {
  if (path !== "" && !path.startsWith("/")) {
    throw new Error(`serviceUrl: path must start with "/", got "${path}"`);
  }
  return `http://${service}.${SERVICES_NAMESPACE}.svc.cluster.local:${SERVICE_PORT}${path}`;
}

/** Where LiveKit posts room and participant events: meetings' webhook route, in-cluster. */
export function meetingsWebhookUrl(): string {
  return serviceUrl("meetings", LIVEKIT_WEBHOOK_PATH);
}
