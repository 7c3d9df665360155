import { createHash } from "node:crypto";
import * as digitalocean from "@pulumi/digitalocean";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { dropletSize } from "../../catalogue/droplet-sizes.ts";
import type { NodePoolConfig } from "../../stacks/schema.ts";
import { PRIORITY_CLASSES } from "../baseline/priority-classes.ts";
import { resourceName, type StackIdentity } from "../naming.ts";
import { failAs } from "../resource-error.ts";
import { webRtcInboundRules } from "./firewall-rules.ts";
import { liveKitScaling } from "./livekit-autoscaling.ts";
import type { LiveKitTurnServer } from "./livekit-config.ts";
import { renderLiveKitConfig } from "./livekit-config.ts";
import { type LiveKitStackSettings, liveKitConfigInput } from "./livekit-settings.ts";
import { LIVEKIT_DRAIN_SECONDS, liveKitProbes, UDP_BUFFER_BYTES } from "./livekit-workload.ts";
import { LIVEKIT_IMAGE, SYSCTL_IMAGE } from "./media-images.ts";
import { dedicatedPodResources } from "./node-sizing.ts";
import { MEDIA_PORTS } from "./platform-ports.ts";
import { poolDropletTag, poolPlacement } from "./pool-placement.ts";

export interface LiveKitArgs extends LiveKitStackSettings {
  identity: StackIdentity;
  /** The media node pool: one LiveKit pod per node, sized to the node and scaled within the pool's bounds. */
  pool: NodePoolConfig;
  /** The media namespace, created by the baseline component. */
  namespace: string;
  /** The managed Valkey LiveKit routes through (private host, TLS only on DigitalOcean). */
  valkey: { host: pulumi.Input<string>; port: pulumi.Input<number>; password: pulumi.Input<string> };
  turn: {
    /** `ip:3478` of every TURN droplet's reserved IP. */
    stunServers: pulumi.Input<string[]>;
    servers: pulumi.Input<LiveKitTurnServer[]>;
    sharedSecret: pulumi.Input<string>;
  };
  webhookUrls: string[];
}

/**
 * The LiveKit SFU: one hostNetwork pod per media node, its config and keys only in a Secret, drained
 * rather than killed on SIGTERM, and a Cloud Firewall on the media pool opening exactly the WebRTC ports. The
 * `wss://livekit.<domain>` route is the gateway's; it targets `service`.
 */
export class LiveKit extends pulumi.ComponentResource {
  readonly namespace: string;
  readonly service: { name: pulumi.Output<string>; namespace: string; port: number };
  /** In-cluster signal URL for egress and the services: no hairpin through the gateway. */
  readonly internalUrl: string;
  readonly apiKey: pulumi.Output<string>;
  readonly apiSecret: pulumi.Output<string>;

  constructor(name: string, args: LiveKitArgs, opts?: pulumi.ComponentResourceOptions) {
    super("gomeet:media:LiveKit", name, {}, opts);
    const { identity, pool } = args;
    const media = dropletSize(pool.size);
    const labels = { "app.kubernetes.io/name": "livekit", "app.kubernetes.io/part-of": "gomeet" };
    const child = { parent: this };

    // The namespace (Pod Security `privileged` for hostNetwork and the sysctl init container, quotas, network
    // policies) belongs to the baseline component (components/baseline/namespaces.ts `media`).
    const ns = args.namespace;

    // LiveKit keys: [A-Za-z0-9_-]{3,64} (components/media/livekit-config.ts); the secret ≥ 32 chars
    // (ValidateKeys, docs/sources.md#livekit-server-configuration).
    const apiKeySuffix = new random.RandomPassword(`${name}-api-key`, { length: 16, special: false }, child);
    const apiSecret = new random.RandomPassword(`${name}-api-secret`, { length: 48, special: false }, child);
    this.apiKey = pulumi.secret(pulumi.interpolate`API${apiKeySuffix.result}`);
    this.apiSecret = pulumi.secret(apiSecret.result);

    const livekitYaml = pulumi.secret(
      pulumi
        .all([
          this.apiKey,
          this.apiSecret,
          args.valkey.host,
          args.valkey.port,
          args.valkey.password,
          args.turn.stunServers,
          args.turn.servers,
          args.turn.sharedSecret,
        ])
        .apply(([apiKey, secret, host, port, password, stunServers, turnServers, turnSecret]) =>
          failAs(this, () =>
            renderLiveKitConfig(
              liveKitConfigInput(args, media, {
                apiKey,
                apiSecret: secret,
                // DigitalOcean's managed Valkey user is `default` and speaks TLS only (docs/sources.md#valkey-pricing-and-limits).
                redis: {
                  address: `${host}:${port}`,
                  username: "default",
                  password,
                  db: 0,
                  tls: { enabled: true },
                },
                stunServers,
                turnServers,
                turnSharedSecret: turnSecret,
                webhookUrls: args.webhookUrls,
              }),
            ),
          ),
        ),
    );
    const configSecret = new k8s.core.v1.Secret(
      `${name}-config`,
      {
        metadata: { name: "livekit-config", namespace: ns, labels },
        type: "Opaque",
        stringData: { "livekit.yaml": livekitYaml },
      },
      child,
    );
    // A new config must roll the pods (each drains its meetings first); the hash carries no secret.
    const configHash = livekitYaml.apply((text) => createHash("sha256").update(text).digest("hex"));

    const placement = poolPlacement("media");
    const probes = liveKitProbes();
    const deployment = new k8s.apps.v1.Deployment(
      `${name}-deployment`,
      {
        metadata: { name: "livekit", namespace: ns, labels },
        spec: {
          // The HPA owns the replica count after creation.
          replicas: pool.minNodes,
          selector: { matchLabels: labels },
          // A replacement needs a free media node (anti-affinity); the old pod keeps its meetings while draining.
          strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
          template: {
            metadata: { labels, annotations: { "gomeet.io/config-sha256": pulumi.unsecret(configHash) } },
            spec: {
              // ICE/UDP 50000–60000 is not declarable as container ports; LiveKit needs the node's network
              // (the Helm chart relies on hostNetwork for it too: docs/sources.md#livekit-helm-chart).
              hostNetwork: true,
              dnsPolicy: "ClusterFirstWithHostNet",
              // Above every other GoMeet class: a pending LiveKit pod may preempt anything but another media pod.
              priorityClassName: PRIORITY_CLASSES.media.name,
              // SIGTERM drains: running rooms continue, new rooms go elsewhere, exit when empty (docs/sources.md#livekit-distributed-setup).
              terminationGracePeriodSeconds: LIVEKIT_DRAIN_SECONDS,
              nodeSelector: placement.nodeSelector,
              tolerations: placement.tolerations,
              affinity: {
                podAntiAffinity: {
                  requiredDuringSchedulingIgnoredDuringExecution: [
                    { labelSelector: { matchLabels: labels }, topologyKey: "kubernetes.io/hostname" },
                  ],
                },
              },
              // The server needs no root: its ports are above 1024 and its config is group-readable.
              securityContext: {
                runAsNonRoot: true,
                runAsUser: 65532,
                runAsGroup: 65532,
                fsGroup: 65532,
                seccompProfile: { type: "RuntimeDefault" },
              },
              initContainers: [
                {
                  // LiveKit asks for 16 MiB socket buffers and warns below 5 MB (docs/sources.md#livekit-udp-buffers); the kernel caps
                  // SO_RCVBUF at net.core.rmem_max, a host-wide key only a privileged container may set.
                  name: "udp-buffers",
                  image: SYSCTL_IMAGE,
                  command: [
                    "sysctl",
                    "-w",
                    `net.core.rmem_max=${UDP_BUFFER_BYTES}`,
                    `net.core.wmem_max=${UDP_BUFFER_BYTES}`,
                  ],
                  // sysctl of a host-wide key: the one step that needs root.
                  securityContext: {
                    privileged: true,
                    runAsUser: 0,
                    runAsNonRoot: false,
                    capabilities: { drop: ["ALL"] },
                    seccompProfile: { type: "RuntimeDefault" },
                  },
                  resources: { requests: { cpu: "10m", memory: "8Mi" }, limits: { memory: "16Mi" } },
                },
              ],
              containers: [
                {
                  name: "livekit",
                  image: LIVEKIT_IMAGE,
                  args: ["--config", "/etc/livekit/livekit.yaml"],
                  ports: [
                    { name: "http", containerPort: MEDIA_PORTS.livekitHttp, protocol: "TCP" },
                    { name: "rtc-tcp", containerPort: args.media.rtcTcpPort, protocol: "TCP" },
                    { name: "metrics", containerPort: MEDIA_PORTS.livekitPrometheus, protocol: "TCP" },
                  ],
                  readinessProbe: probes.readiness,
                  livenessProbe: probes.liveness,
                  resources: dedicatedPodResources(media),
                  // Every port LiveKit binds is above 1024 (HTTP, ICE/TCP, ICE/UDP range, metrics), so it needs no
                  // capability at all, not even NET_BIND_SERVICE.
                  securityContext: {
                    allowPrivilegeEscalation: false,
                    readOnlyRootFilesystem: true,
                    capabilities: { drop: ["ALL"] },
                    seccompProfile: { type: "RuntimeDefault" },
                  },
                  volumeMounts: [{ name: "config", mountPath: "/etc/livekit", readOnly: true }],
                },
              ],
              volumes: [
                { name: "config", secret: { secretName: configSecret.metadata.name, defaultMode: 0o440 } },
              ],
            },
          },
        },
      },
      // The HPA changes replicas; Pulumi must not reset them on every update.
      { parent: this, ignoreChanges: ["spec.replicas"] },
    );

    new k8s.policy.v1.PodDisruptionBudget(
      `${name}-pdb`,
      {
        metadata: { name: "livekit", namespace: ns, labels },
        // One media node drained at a time (node upgrades, autoscaler scale-down); each drain waits for its
        // meetings through the grace period. minAvailable would block upgrades of a one-node pool forever.
        spec: { maxUnavailable: 1, selector: { matchLabels: labels } },
      },
      child,
    );

    const scaling = liveKitScaling(pool);
    new k8s.autoscaling.v2.HorizontalPodAutoscaler(
      `${name}-hpa`,
      {
        metadata: { name: "livekit", namespace: ns, labels },
        spec: {
          scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: deployment.metadata.name },
          ...scaling,
        },
      },
      child,
    );

    const service = new k8s.core.v1.Service(
      `${name}-service`,
      {
        metadata: { name: "livekit", namespace: ns, labels },
        spec: {
          type: "ClusterIP",
          selector: labels,
          ports: [{ name: "http", port: MEDIA_PORTS.livekitHttp, targetPort: "http", protocol: "TCP" }],
        },
      },
      child,
    );

    // A PodMonitor, not a ServiceMonitor: the metrics port is on the node's address (hostNetwork) and belongs
    // to no Service.
    new k8s.apiextensions.CustomResource(
      `${name}-podmonitor`,
      {
        apiVersion: "monitoring.coreos.com/v1",
        kind: "PodMonitor",
        metadata: { name: "livekit", namespace: ns, labels },
        spec: {
          selector: { matchLabels: labels },
          podMetricsEndpoints: [{ port: "metrics", path: "/metrics", interval: "30s" }],
        },
      },
      child,
    );

    new digitalocean.Firewall(
      `${name}-webrtc-firewall`,
      {
        name: resourceName(identity, "media-webrtc"),
        tags: [poolDropletTag(identity.stack, "media")],
        inboundRules: webRtcInboundRules({
          udpPortRange: { start: args.media.rtcUdpPorts.min, end: args.media.rtcUdpPorts.max },
          tcpPort: args.media.rtcTcpPort,
        }),
      },
      child,
    );

    this.namespace = ns;
    this.service = {
      name: service.metadata.name,
      namespace: ns,
      port: MEDIA_PORTS.livekitHttp,
    };
    this.internalUrl = `ws://livekit.${args.namespace}.svc.cluster.local:${MEDIA_PORTS.livekitHttp}`;
    this.registerOutputs({ namespace: this.namespace, serviceName: this.service.name });
  }
}
