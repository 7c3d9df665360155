import * as digitalocean from "@pulumi/digitalocean";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { PlatformConfig } from "../../stacks/schema.ts";
import { areaTags, resourceName, type StackIdentity, stackScopedTag } from "../naming.ts";
import { type PoolRole, type PoolSpec, poolSpec } from "./node-pools.ts";

export interface ClusterArgs {
  identity: StackIdentity;
  region: string;
  vpcId: pulumi.Input<string>;
  network: PlatformConfig["network"];
  cluster: PlatformConfig["cluster"];
  /** The registry this stack manages, if any: it must exist before registry integration is switched on. */
  registry: pulumi.Resource | undefined;
  protect: boolean;
}

/**
 * The autoscaler changes an autoscaled pool's node count outside Pulumi, so that drift is ignored; a fixed-size
 * pool's count comes from config, and ignoring it would silently drop a resize.
 */
export function ignoreAutoscaledNodeCount(pool: PoolSpec, path: string): { ignoreChanges?: string[] } {
  return pool.autoScale ? { ignoreChanges: [path] } : {};
}

/**
 * DOKS with its node pools (system, apps, media, egress) and the Kubernetes provider every in-cluster component
 * uses. The version is pinned in config so a credential-free preview needs no invoke.
 */
export class Cluster extends pulumi.ComponentResource {
  readonly clusterId: pulumi.Output<string>;
  readonly clusterUrn: pulumi.Output<string>;
  readonly kubeconfig: pulumi.Output<string>;
  readonly provider: k8s.Provider;
  readonly nodePoolIds: Record<Exclude<PoolRole, "system">, pulumi.Output<string>>;

  constructor(name: string, args: ClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("gomeet:cluster:Cluster", name, {}, opts);
    const { cluster: config, identity } = args;
    const tags = areaTags(identity, "cluster");
    const system = poolSpec("system", config.pools.system);

    const doks = new digitalocean.KubernetesCluster(
      `${name}-doks`,
      {
        name: resourceName(identity, "doks"),
        region: args.region,
        version: config.version,
        vpcUuid: args.vpcId,
        clusterSubnet: args.network.clusterSubnet,
        serviceSubnet: args.network.serviceSubnet,
        ha: config.highAvailability,
        surgeUpgrade: config.surgeUpgrade,
        autoUpgrade: config.autoUpgrade,
        maintenancePolicy: {
          day: config.maintenanceWindow.day,
          startTime: config.maintenanceWindow.startTime,
        },
        registryIntegration: true,
        // An empty allow-list leaves the control plane open to the internet, as DOKS does by default.
        controlPlaneFirewall: {
          enabled: config.controlPlaneAllowList.length > 0,
          allowedAddresses: config.controlPlaneAllowList,
        },
        // Credentials in the kubeconfig expire after this; Pulumi.yaml refreshes state on every run so the
        // provider always gets a live token (DOKS default is 7 days; docs/sources.md#pulumi-digitalocean-provider).
        kubeconfigExpireSeconds: config.kubeconfigExpireSeconds,
        // Scale-down honours PodDisruptionBudgets (docs/sources.md#doks-autoscaling); media pods also block it while
        // rooms are live through their long termination grace period.
        clusterAutoscalerConfigurations: [
          { scaleDownUtilizationThreshold: 0.5, scaleDownUnneededTime: "10m0s" },
        ],
        destroyAllAssociatedResources: false,
        tags,
        nodePool: {
          name: system.name,
          size: system.size,
          autoScale: system.autoScale,
          minNodes: system.minNodes,
          maxNodes: system.maxNodes,
          ...(system.nodeCount !== undefined ? { nodeCount: system.nodeCount } : {}),
          labels: system.labels,
          tags: [...tags, "pool:system", stackScopedTag(identity.stack, "pool:system")],
        },
      },
      {
        parent: this,
        protect: args.protect,
        dependsOn: args.registry ? [args.registry] : [],
        ...ignoreAutoscaledNodeCount(system, "nodePool.nodeCount"),
      },
    );

    const pools = {} as Record<Exclude<PoolRole, "system">, pulumi.Output<string>>;
    for (const role of ["apps", "media", "egress"] as const) {
      const spec = poolSpec(role, config.pools[role]);
      const pool = new digitalocean.KubernetesNodePool(
        `${name}-${role}`,
        {
          clusterId: doks.id,
          name: spec.name,
          size: spec.size,
          autoScale: spec.autoScale,
          minNodes: spec.minNodes,
          maxNodes: spec.maxNodes,
          ...(spec.nodeCount !== undefined ? { nodeCount: spec.nodeCount } : {}),
          labels: spec.labels,
          taints: spec.taints,
          // The stack-scoped tag is what Cloud Firewalls select (components/media/pool-placement.ts).
          tags: [...tags, `pool:${role}`, stackScopedTag(identity.stack, `pool:${role}`)],
        },
        { parent: this, ...ignoreAutoscaledNodeCount(spec, "nodeCount") },
      );
      pools[role] = pool.id;
    }
    this.nodePoolIds = pools;

    this.clusterId = doks.id;
    this.clusterUrn = doks.clusterUrn;
    this.kubeconfig = pulumi.secret(doks.kubeConfigs.apply((configs) => configs[0]?.rawConfig ?? ""));
    // A stable clusterIdentifier stops a refreshed kubeconfig from replacing every Kubernetes object
    // (docs/sources.md#pulumi-kubernetes-provider).
    this.provider = new k8s.Provider(
      `${name}-k8s`,
      {
        kubeconfig: this.kubeconfig,
        clusterIdentifier: pulumi.interpolate`doks-${doks.id}`,
        enableServerSideApply: true,
      },
      { parent: this },
    );
    this.registerOutputs({ clusterId: this.clusterId, kubeconfig: this.kubeconfig });
  }
}
