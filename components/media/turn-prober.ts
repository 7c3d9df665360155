import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { MEDIA_PORTS } from "./platform-ports.ts";
import { poolPlacement } from "./pool-placement.ts";

export interface TurnProberArgs {
  namespace: pulumi.Input<string>;
  image: string;
  /** The reserved IPs, probed one target each so a bad droplet shows under its own `server` label. */
  reservedIps: pulumi.Input<string>[];
  sharedSecret: pulumi.Input<string>;
}

/**
 * apps/turn-prober in the cluster: a real allocation against every TURN droplet each minute with a
 * freshly minted credential, exported for Prometheus (docs/media.md "TURN health"). Its environment — the
 * targets and the coturn secret — comes from a Secret.
 */
export class TurnProber extends pulumi.ComponentResource {
  constructor(name: string, args: TurnProberArgs, opts?: pulumi.ComponentResourceOptions) {
    super("gomeet:media:TurnProber", name, {}, opts);
    const labels = { "app.kubernetes.io/name": "turn-prober", "app.kubernetes.io/part-of": "gomeet" };
    const child = { parent: this };
    const targets = pulumi
      .all(args.reservedIps)
      .apply((ips) => ips.map((ip) => `${ip}:${MEDIA_PORTS.turnListening}`).join(","));

    const secret = new k8s.core.v1.Secret(
      `${name}-env`,
      {
        metadata: { name: "turn-prober", namespace: args.namespace, labels },
        type: "Opaque",
        // Variables read by apps/turn-prober/prober-config.ts.
        stringData: {
          TURN_PROBE_TARGETS: targets,
          TURN_STATIC_AUTH_SECRET: pulumi.secret(args.sharedSecret),
          TURN_PROBE_INTERVAL_SECONDS: "60",
          METRICS_PORT: String(MEDIA_PORTS.proberMetrics),
        },
      },
      child,
    );
    const placement = poolPlacement("apps");
    new k8s.apps.v1.Deployment(
      `${name}-deployment`,
      {
        metadata: { name: "turn-prober", namespace: args.namespace, labels },
        spec: {
          replicas: 1,
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: {
              nodeSelector: placement.nodeSelector,
              tolerations: placement.tolerations,
              containers: [
                {
                  name: "turn-prober",
                  image: args.image,
                  envFrom: [{ secretRef: { name: secret.metadata.name } }],
                  ports: [{ name: "metrics", containerPort: MEDIA_PORTS.proberMetrics, protocol: "TCP" }],
                  readinessProbe: { httpGet: { path: "/healthz", port: "metrics" }, periodSeconds: 10 },
                  livenessProbe: {
                    httpGet: { path: "/healthz", port: "metrics" },
                    periodSeconds: 20,
                    failureThreshold: 3,
                  },
                  resources: {
                    requests: { cpu: "50m", memory: "64Mi" },
                    limits: { cpu: "200m", memory: "128Mi" },
                  },
                  securityContext: {
                    allowPrivilegeEscalation: false,
                    readOnlyRootFilesystem: true,
                    runAsNonRoot: true,
                    capabilities: { drop: ["ALL"] },
                    seccompProfile: { type: "RuntimeDefault" },
                  },
                },
              ],
            },
          },
        },
      },
      child,
    );
    new k8s.core.v1.Service(
      `${name}-service`,
      {
        metadata: { name: "turn-prober", namespace: args.namespace, labels },
        spec: {
          type: "ClusterIP",
          selector: labels,
          ports: [
            { name: "metrics", port: MEDIA_PORTS.proberMetrics, targetPort: "metrics", protocol: "TCP" },
          ],
        },
      },
      child,
    );
    new k8s.apiextensions.CustomResource(
      `${name}-servicemonitor`,
      {
        apiVersion: "monitoring.coreos.com/v1",
        kind: "ServiceMonitor",
        metadata: { name: "turn-prober", namespace: args.namespace, labels },
        spec: {
          selector: { matchLabels: labels },
          endpoints: [{ port: "metrics", path: "/metrics", interval: "30s" }],
        },
      },
      child,
    );
    this.registerOutputs({});
  }
}
