import { ControlPlaneService, type ServiceName } from "../../components/apps/control-plane-service.ts";
import { AuthSigningKeys } from "../../components/apps/signing-keys.ts";
import { NAMESPACES } from "../../components/baseline/namespaces.ts";
import { PRIORITY_CLASSES } from "../../components/baseline/priority-classes.ts";
import { imageReference } from "../../components/edge/registry.ts";
import type { PlatformConfig } from "../../stacks/schema.ts";
import type { CloudLayer } from "./cloud.ts";
import type { InClusterLayer } from "./in-cluster.ts";
import { servicePoolMaxPerReplica } from "./in-cluster.ts";

/** The control-plane services deployed by the stack (issue: services in the stack graph). */
export interface AppsLayer {
  services: Partial<Record<ServiceName, ControlPlaneService>>;
  signingKeys: AuthSigningKeys;
}

/** How long each service drains after SIGTERM: chat holds WebSockets and tells clients to reconnect first. */
const DRAIN_MS: Record<ServiceName, number> = { auth: 10_000, meetings: 10_000, chat: 25_000 };

/**
 * Environment every service shares. Connections go through PgBouncer pools in transaction mode, where
 * prepared statements do not survive between transactions (apps/shared README "PostgreSQL").
 */
function commonEnv(config: PlatformConfig): Record<string, string> {
  return {
    LOG_LEVEL: "info",
    // Traefik is the one proxy in front of the services and appends the client address it read from PROXY
    // protocol (docs/gateway.md).
    TRUST_PROXY_HOPS: "1",
    DATABASE_POOL_MAX: String(servicePoolMaxPerReplica(config)),
    DATABASE_PREPARE: "false",
  };
}

export function createAppsLayer(
  config: PlatformConfig,
  cloud: CloudLayer,
  inCluster: InClusterLayer,
): AppsLayer {
  const providers = { providers: [cloud.cluster.provider] };
  const issuer = `https://api.${config.domain}`;
  const signingKeys = new AuthSigningKeys("auth-signing-keys", {
    generations: config.services.authSigningKeys,
  });
  const base = (service: ServiceName) => ({
    service,
    namespace: NAMESPACES.services,
    image: imageReference(config.registry.name, service, config.services.imageTag),
    imageTag: config.services.imageTag,
    scale: config.services[service],
    drainMs: DRAIN_MS[service],
    priorityClassName: PRIORITY_CLASSES.services.name,
    dependsOn: inCluster.baseline.ready,
  });

  const auth = new ControlPlaneService(
    "auth",
    {
      ...base("auth"),
      env: {
        ...commonEnv(config),
        AUTH_ISSUER: issuer,
        AUTH_AUDIENCE: "gomeet",
        AUTH_SIGNING_KID: signingKeys.currentKid,
      },
      secretEnv: {
        DATABASE_URL: cloud.postgres.connectionStrings.auth,
        REDIS_URL: cloud.valkey.uri,
        AUTH_SIGNING_KEYS: signingKeys.jwks,
      },
    },
    providers,
  );
  return { services: { auth }, signingKeys };
}

/** In-cluster address of a service (what other services and LiveKit call). */
export function serviceUrl(service: ServiceName): string {
  return `http://${service}.${NAMESPACES.services}.svc.cluster.local:8080`;
}
