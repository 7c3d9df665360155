import type * as k8s from "@pulumi/kubernetes";
import { PRIORITY_CLASSES } from "../baseline/priority-classes.ts";

/** Pinned exporter images (no `latest`): a version change is a reviewed change of this table. */
export const EXPORTER_IMAGES = {
  // PostgreSQL 17 support arrived in v0.17.0 (prometheus-community/postgres_exporter#1125); v0.17.1 per the
  // project's image tags (quay.io/prometheuscommunity/postgres-exporter).
  postgres: "quay.io/prometheuscommunity/postgres-exporter:v0.17.1",
  // Valkey works over the Redis protocol (oliver006/redis_exporter#898); v1.81.0 released 2026-03 (release notes).
  redis: "docker.io/oliver006/redis_exporter:v1.81.0",
} as const;

export interface ExporterSpec {
  name: "postgres-exporter" | "redis-exporter";
  image: string;
  port: number;
  /** Environment variable that carries the connection string, read from the exporter's Secret. */
  connectionEnv: string;
  /** Key in the exporter's Secret. */
  secretKey: string;
}

export const EXPORTERS: Record<"postgres" | "redis", ExporterSpec> = {
  postgres: {
    name: "postgres-exporter",
    image: EXPORTER_IMAGES.postgres,
    port: 9187,
    connectionEnv: "DATA_SOURCE_NAME",
    secretKey: "data-source-name",
  },
  redis: {
    name: "redis-exporter",
    image: EXPORTER_IMAGES.redis,
    port: 9121,
    connectionEnv: "REDIS_ADDR",
    secretKey: "redis-addr",
  },
};

/**
 * The exporter's Deployment spec: one replica (a scrape gap is harmless, two would double every series),
 * restricted Pod Security, the connection string only from its Secret, probes on the metrics port.
 */
export function exporterDeploymentSpec(
  exporter: ExporterSpec,
  secretName: string,
): k8s.types.input.apps.v1.DeploymentSpec {
  const labels = {
    "app.kubernetes.io/name": exporter.name,
    "app.kubernetes.io/part-of": "gomeet-monitoring",
  };
  const probe = { httpGet: { path: "/metrics", port: "metrics" }, periodSeconds: 30, timeoutSeconds: 10 };
  return {
    replicas: 1,
    selector: { matchLabels: labels },
    template: {
      metadata: { labels },
      spec: {
        priorityClassName: PRIORITY_CLASSES.platform.name,
        automountServiceAccountToken: false,
        securityContext: {
          runAsNonRoot: true,
          runAsUser: 65534,
          runAsGroup: 65534,
          seccompProfile: { type: "RuntimeDefault" },
        },
        containers: [
          {
            name: exporter.name,
            image: exporter.image,
            ports: [{ name: "metrics", containerPort: exporter.port, protocol: "TCP" }],
            env: [
              {
                name: exporter.connectionEnv,
                valueFrom: { secretKeyRef: { name: secretName, key: exporter.secretKey } },
              },
            ],
            resources: {
              requests: { cpu: "50m", memory: "64Mi" },
              limits: { cpu: "250m", memory: "128Mi" },
            },
            readinessProbe: probe,
            livenessProbe: { ...probe, failureThreshold: 5 },
            securityContext: {
              allowPrivilegeEscalation: false,
              readOnlyRootFilesystem: true,
              capabilities: { drop: ["ALL"] },
            },
          },
        ],
      },
    },
  };
}
