import { createHash } from "node:crypto";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { ServiceScaleConfig } from "../../stacks/schema.ts";
import { SERVICE_PORT, type ServiceName } from "./service-registry.ts";
import {
  appsPoolPlacement,
  containerSecurityContext,
  cpuLimit,
  imageEntryCommand,
  migrationJobName,
  migrationPodLabels,
  NAME_LABEL,
  podSecurityContext,
  shutdownTiming,
  TMP_MOUNT,
  TMP_VOLUME,
  topologySpread,
} from "./workload-spec.ts";

export interface ControlPlaneServiceArgs {
  service: ServiceName;
  namespace: string;
  /** `registry.digitalocean.com/<registry>/<service>:<tag>`. */
  image: string;
  imageTag: string;
  scale: ServiceScaleConfig;
  /** Non-secret environment (issuer URLs, pool sizes, limits). */
  env: Record<string, pulumi.Input<string>>;
  /** The service's credentials and connection strings: exactly these keys go into its Secret. */
  secretEnv: Record<string, pulumi.Input<string>>;
  /** SHUTDOWN_DRAIN_MS: how long in-flight requests (and WebSockets) may run after SIGTERM. */
  drainMs: number;
  priorityClassName: string;
  /** Namespace, policies and quotas that must exist before pods are created. */
  dependsOn: pulumi.Input<pulumi.Resource>[];
}

/**
 * One control-plane service (auth, meetings or chat): its Secret, a migration Job per image tag that must
 * succeed before the Deployment rolls, the Deployment (probes, resources, spread, hardened security context,
 * preStop + grace matching the service's graceful shutdown), Service, HorizontalPodAutoscaler and
 * PodDisruptionBudget. The public route to it is in the gateway's route table (components/gateway/routes.ts),
 * its network allowances in the baseline (components/baseline) and its ServiceMonitor in the monitoring
 * component (components/observability/operator-resources.ts), which owns every monitor of the platform.
 */
export class ControlPlaneService extends pulumi.ComponentResource {
  readonly deploymentName: string;
  readonly serviceName: string;
  readonly secretName: string;
  readonly migrationJobName: string;

  constructor(name: string, args: ControlPlaneServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("gomeet:apps:ControlPlaneService", name, {}, opts);
    const { service, namespace } = args;
    const labels = { [NAME_LABEL]: service, "app.kubernetes.io/part-of": "gomeet" };
    const timing = shutdownTiming(args.drainMs);
    const secretName = `${service}-env`;
    const env = { ...args.env, PORT: String(SERVICE_PORT), SHUTDOWN_DRAIN_MS: String(args.drainMs) };
    const envList = Object.entries(env)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([key, value]) => ({ name: key, value }));
    const envFrom = [{ secretRef: { name: secretName } }];
    const resources = {
      requests: { cpu: args.scale.cpu, memory: args.scale.memory },
      limits: { cpu: cpuLimit(args.scale.cpu), memory: args.scale.memory },
    };
    const childOpts = { parent: this, dependsOn: args.dependsOn };

    const secret = new k8s.core.v1.Secret(
      `${name}-env`,
      {
        metadata: { name: secretName, namespace, labels },
        type: "Opaque",
        stringData: args.secretEnv,
      },
      childOpts,
    );
    // Pods roll when a credential changes: the Deployment carries a digest of the Secret's content. A truncated
    // SHA-256 of high-entropy credentials reveals nothing usable, and left secret it would hide the whole spec.
    const secretDigest = pulumi.unsecret(
      pulumi
        .all(
          Object.entries(args.secretEnv).map(([k, v]) => pulumi.output(v).apply((value) => `${k}=${value}`)),
        )
        .apply((pairs) => createHash("sha256").update(pairs.sort().join("\n")).digest("hex").slice(0, 16)),
    );

    const jobName = migrationJobName(service, args.imageTag);
    const migrationLabels = migrationPodLabels(service);
    const migration = new k8s.batch.v1.Job(
      `${name}-migrate`,
      {
        metadata: { name: jobName, namespace, labels: migrationLabels },
        // No ttlSecondsAfterFinished: Pulumi.yaml refreshes on every run, and a Job the TTL controller deleted
        // would be created again by the next `up`. One finished Job per service stays until the next image tag
        // replaces it (the name carries the tag), so `up` of an unchanged tag is a no-op.
        spec: {
          backoffLimit: 2,
          activeDeadlineSeconds: 600,
          template: {
            metadata: { labels: migrationLabels },
            spec: {
              restartPolicy: "Never",
              priorityClassName: args.priorityClassName,
              securityContext: podSecurityContext(),
              ...appsPoolPlacement(),
              containers: [
                {
                  name: "migrate",
                  image: args.image,
                  command: imageEntryCommand(service, "migrate"),
                  env: envList,
                  envFrom,
                  resources,
                  securityContext: containerSecurityContext(),
                  volumeMounts: [TMP_MOUNT],
                },
              ],
              volumes: [TMP_VOLUME],
            },
          },
        },
      },
      // A new tag is a new Job (the name carries it); Pulumi waits for it to complete, and a failed Job fails the
      // update before the Deployment below is touched.
      { ...childOpts, dependsOn: [...args.dependsOn, secret] },
    );

    const httpGet = (path: string) => ({ httpGet: { path, port: "http" } });
    const deployment = new k8s.apps.v1.Deployment(
      `${name}-deployment`,
      {
        metadata: { name: service, namespace, labels },
        spec: {
          // No replicas: the HorizontalPodAutoscaler owns the count.
          selector: { matchLabels: { [NAME_LABEL]: service } },
          strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
          revisionHistoryLimit: 5,
          template: {
            metadata: {
              labels,
              annotations: { "gomeet.io/secret-digest": secretDigest, "gomeet.io/migration": jobName },
            },
            spec: {
              priorityClassName: args.priorityClassName,
              terminationGracePeriodSeconds: timing.terminationGracePeriodSeconds,
              securityContext: podSecurityContext(),
              automountServiceAccountToken: false,
              topologySpreadConstraints: topologySpread(service),
              ...appsPoolPlacement(),
              containers: [
                {
                  name: service,
                  image: args.image,
                  command: imageEntryCommand(service, "server"),
                  ports: [{ name: "http", containerPort: SERVICE_PORT, protocol: "TCP" }],
                  env: envList,
                  envFrom,
                  resources,
                  securityContext: containerSecurityContext(),
                  volumeMounts: [TMP_MOUNT],
                  startupProbe: { ...httpGet("/healthz"), periodSeconds: 2, failureThreshold: 30 },
                  readinessProbe: {
                    ...httpGet("/readyz"),
                    periodSeconds: 5,
                    timeoutSeconds: 3,
                    failureThreshold: 2,
                  },
                  livenessProbe: {
                    ...httpGet("/healthz"),
                    periodSeconds: 10,
                    timeoutSeconds: 3,
                    failureThreshold: 3,
                  },
                  lifecycle: { preStop: { sleep: { seconds: timing.preStopSeconds } } },
                },
              ],
              volumes: [TMP_VOLUME],
            },
          },
        },
      },
      { ...childOpts, dependsOn: [...args.dependsOn, secret, migration] },
    );

    new k8s.core.v1.Service(
      `${name}-service`,
      {
        metadata: { name: service, namespace, labels },
        spec: {
          type: "ClusterIP",
          selector: { [NAME_LABEL]: service },
          ports: [{ name: "http", port: SERVICE_PORT, targetPort: "http", protocol: "TCP" }],
        },
      },
      childOpts,
    );
    new k8s.autoscaling.v2.HorizontalPodAutoscaler(
      `${name}-hpa`,
      {
        metadata: { name: service, namespace, labels },
        spec: {
          scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: service },
          minReplicas: args.scale.minReplicas,
          maxReplicas: args.scale.maxReplicas,
          metrics: [
            {
              type: "Resource",
              resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 70 } },
            },
          ],
          // Scale down slowly: chat sockets reconnect elsewhere on every removed replica.
          behavior: {
            scaleDown: {
              stabilizationWindowSeconds: 300,
              policies: [{ type: "Pods", value: 1, periodSeconds: 60 }],
            },
          },
        },
      },
      { ...childOpts, dependsOn: [...args.dependsOn, deployment] },
    );
    new k8s.policy.v1.PodDisruptionBudget(
      `${name}-pdb`,
      {
        metadata: { name: service, namespace, labels },
        spec: { maxUnavailable: 1, selector: { matchLabels: { [NAME_LABEL]: service } } },
      },
      childOpts,
    );
    this.deploymentName = service;
    this.serviceName = service;
    this.secretName = secretName;
    this.migrationJobName = jobName;
    this.registerOutputs({ deploymentName: this.deploymentName, migrationJobName: this.migrationJobName });
  }
}
