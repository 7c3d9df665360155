import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { dropletSize } from "../../catalogue/droplet-sizes.ts";
import type { NodePoolConfig, PlatformConfig } from "../../stacks/schema.ts";
import { PRIORITY_CLASSES } from "../baseline/priority-classes.ts";
import { failAs } from "../resource-error.ts";
import { renderEgressConfig } from "./egress-config.ts";
import { LIVEKIT_DRAIN_SECONDS } from "./livekit-workload.ts";
import { EGRESS_IMAGE } from "./media-images.ts";
import { dedicatedPodResources } from "./node-sizing.ts";
import { MEDIA_PORTS } from "./platform-ports.ts";
import { poolPlacement } from "./pool-placement.ts";

export interface EgressArgs {
  /** The stack's region, where the recordings Space is. */
  region: string;
  /** Recorder replica bounds (`egress` in the stack config). */
  egress: PlatformConfig["egress"];
  /** The egress node pool: one recorder per node. */
  pool: NodePoolConfig;
  namespace: pulumi.Input<string>;
  livekit: { apiKey: pulumi.Input<string>; apiSecret: pulumi.Input<string>; url: string };
  valkey: { host: pulumi.Input<string>; port: pulumi.Input<number>; password: pulumi.Input<string> };
  recordings: {
    bucket: pulumi.Input<string>;
    accessKey: pulumi.Input<string>;
    secretKey: pulumi.Input<string>;
  };
}

/**
 * Replica bounds for the egress autoscaler. One recorder per egress node (they are CPU-bound, and the pool is
 * tainted for them), so the pool's maxNodes also bounds replicas. A HorizontalPodAutoscaler cannot go below one
 * replica without the alpha HPAScaleToZero gate, so `egress.minReplicas: 0` keeps one warm recorder.
 */
export function egressScaling(
  egress: PlatformConfig["egress"],
  pool: NodePoolConfig,
): { minReplicas: number; maxReplicas: number } {
  const maxReplicas = Math.min(egress.maxReplicas, pool.maxNodes);
  return { minReplicas: Math.min(Math.max(1, egress.minReplicas), maxReplicas), maxReplicas };
}

/**
 * LiveKit egress: recorders on the egress pool writing to the recordings Space. Its config carries
 * the API secret, the Valkey password and the Spaces key, so it lives in a Secret and reaches the process as
 * `EGRESS_CONFIG_BODY` (the variable the upstream chart uses, docs/sources.md#livekit-helm-chart — where the
 * chart puts it in a ConfigMap).
 */
export class Egress extends pulumi.ComponentResource {
  constructor(name: string, args: EgressArgs, opts?: pulumi.ComponentResourceOptions) {
    super("gomeet:media:Egress", name, {}, opts);
    const labels = { "app.kubernetes.io/name": "egress", "app.kubernetes.io/part-of": "gomeet" };
    const child = { parent: this };

    const body = pulumi.secret(
      pulumi
        .all([
          args.livekit.apiKey,
          args.livekit.apiSecret,
          args.valkey.host,
          args.valkey.port,
          args.valkey.password,
          args.recordings.bucket,
          args.recordings.accessKey,
          args.recordings.secretKey,
        ])
        .apply(([apiKey, apiSecret, host, port, password, bucket, accessKey, secretKey]) =>
          failAs(this, () =>
            renderEgressConfig({
              apiKey,
              apiSecret,
              // In-cluster signalling: egress joins rooms as a participant through the LiveKit Service.
              wsUrl: args.livekit.url,
              redis: {
                address: `${host}:${port}`,
                username: "default",
                password,
                db: 0,
                tls: { enabled: true },
              },
              recordings: { region: args.region, bucket, accessKey, secretKey },
              healthPort: MEDIA_PORTS.egressHealth,
              prometheusPort: MEDIA_PORTS.egressPrometheus,
              logLevel: "info",
            }),
          ),
        ),
    );
    const secret = new k8s.core.v1.Secret(
      `${name}-config`,
      {
        metadata: { name: "egress-config", namespace: args.namespace, labels },
        type: "Opaque",
        stringData: { "config.yaml": body },
      },
      child,
    );

    const placement = poolPlacement("egress");
    const scaling = egressScaling(args.egress, args.pool);
    const deployment = new k8s.apps.v1.Deployment(
      `${name}-deployment`,
      {
        metadata: { name: "egress", namespace: args.namespace, labels },
        spec: {
          replicas: scaling.minReplicas,
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: {
              // A recording lasts as long as its meeting, and LiveKit gives a draining meeting up to the same
              // window; egress stops taking jobs on SIGTERM and finishes the ones it has.
              terminationGracePeriodSeconds: LIVEKIT_DRAIN_SECONDS,
              priorityClassName: PRIORITY_CLASSES.recording.name,
              securityContext: { seccompProfile: { type: "RuntimeDefault" } },
              nodeSelector: placement.nodeSelector,
              tolerations: placement.tolerations,
              affinity: {
                podAntiAffinity: {
                  requiredDuringSchedulingIgnoredDuringExecution: [
                    { labelSelector: { matchLabels: labels }, topologyKey: "kubernetes.io/hostname" },
                  ],
                },
              },
              containers: [
                {
                  name: "egress",
                  image: EGRESS_IMAGE,
                  env: [
                    {
                      name: "EGRESS_CONFIG_BODY",
                      valueFrom: { secretKeyRef: { name: secret.metadata.name, key: "config.yaml" } },
                    },
                  ],
                  ports: [
                    { name: "health", containerPort: MEDIA_PORTS.egressHealth, protocol: "TCP" },
                    { name: "metrics", containerPort: MEDIA_PORTS.egressPrometheus, protocol: "TCP" },
                  ],
                  readinessProbe: { tcpSocket: { port: "health" }, periodSeconds: 10, failureThreshold: 3 },
                  livenessProbe: { tcpSocket: { port: "health" }, periodSeconds: 20, failureThreshold: 6 },
                  resources: dedicatedPodResources(dropletSize(args.pool.size)),
                  volumeMounts: [{ name: "dshm", mountPath: "/dev/shm" }],
                  // The image's own `egress` user (created by useradd, uid 1000 [inference: re-check on image bump]).
                  // SYS_ADMIN is the one capability egress needs: Chrome's sandbox creates namespaces, and since
                  // egress v1.7.6 "all Egress deployments … require --cap-add=SYS_ADMIN" (LiveKit, Self-hosting the
                  // Egress Service, https://docs.livekit.io/oss/deployment/egress/).
                  securityContext: {
                    runAsNonRoot: true,
                    runAsUser: 1000,
                    allowPrivilegeEscalation: false,
                    capabilities: { drop: ["ALL"], add: ["SYS_ADMIN"] },
                    seccompProfile: { type: "RuntimeDefault" },
                  },
                },
              ],
              // Chrome (room composite) needs more shared memory than the container default of 64 MiB.
              volumes: [{ name: "dshm", emptyDir: { medium: "Memory", sizeLimit: "1Gi" } }],
            },
          },
        },
      },
      { parent: this, ignoreChanges: ["spec.replicas"] },
    );

    new k8s.autoscaling.v2.HorizontalPodAutoscaler(
      `${name}-hpa`,
      {
        metadata: { name: "egress", namespace: args.namespace, labels },
        spec: {
          scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: deployment.metadata.name },
          ...scaling,
          metrics: [
            {
              type: "Resource",
              resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 60 } },
            },
          ],
          // A removed recorder waits for its recordings; shrink slowly.
          behavior: {
            scaleDown: {
              stabilizationWindowSeconds: 1_800,
              policies: [{ type: "Pods", value: 1, periodSeconds: 600 }],
            },
          },
        },
      },
      child,
    );

    // One recorder drained at a time; each keeps its recordings through the grace period.
    new k8s.policy.v1.PodDisruptionBudget(
      `${name}-pdb`,
      {
        metadata: { name: "egress", namespace: args.namespace, labels },
        spec: { maxUnavailable: 1, selector: { matchLabels: labels } },
      },
      child,
    );

    new k8s.apiextensions.CustomResource(
      `${name}-podmonitor`,
      {
        apiVersion: "monitoring.coreos.com/v1",
        kind: "PodMonitor",
        metadata: { name: "egress", namespace: args.namespace, labels },
        spec: {
          selector: { matchLabels: labels },
          podMetricsEndpoints: [{ port: "metrics", interval: "30s" }],
        },
      },
      child,
    );
    this.registerOutputs({});
  }
}
