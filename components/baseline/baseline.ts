import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { PlatformConfig } from "../../stacks/schema.ts";
import { failAs } from "../resource-error.ts";
import { NAMESPACES, type NamespaceKey, namespaceLabels } from "./namespaces.ts";
import { platformNetworkPolicies } from "./network-policies.ts";
import { PRIORITY_CLASSES } from "./priority-classes.ts";
import { containerLimits, namespaceBudgets, quotaHard } from "./quotas.ts";

export interface SecurityBaselineArgs {
  config: PlatformConfig;
}

/**
 * What every in-cluster component stands on: one namespace per area with Pod Security admission labels,
 * default-deny NetworkPolicies with one allow per platform flow, a ResourceQuota and LimitRange per namespace,
 * and the PriorityClasses that keep media pods from being preempted. Components deploy into these namespaces
 * and depend on `ready` so their pods are admitted under the final rules.
 */
export class SecurityBaseline extends pulumi.ComponentResource {
  readonly namespaces: Record<NamespaceKey, k8s.core.v1.Namespace>;
  /** Everything a workload needs in place before it starts (namespaces, policies, quotas, priority classes). */
  readonly ready: pulumi.Resource[];

  constructor(name: string, args: SecurityBaselineArgs, opts?: pulumi.ComponentResourceOptions) {
    super("gomeet:baseline:SecurityBaseline", name, {}, opts);
    const { config } = args;
    const keys = Object.keys(NAMESPACES) as NamespaceKey[];

    this.namespaces = Object.fromEntries(
      keys.map((key) => [
        key,
        new k8s.core.v1.Namespace(
          `${name}-ns-${NAMESPACES[key]}`,
          { metadata: { name: NAMESPACES[key], labels: namespaceLabels(key, config.cluster.version) } },
          { parent: this },
        ),
      ]),
    ) as Record<NamespaceKey, k8s.core.v1.Namespace>;
    const inNamespace = (key: NamespaceKey) => ({ parent: this, dependsOn: [this.namespaces[key]] });
    const ready: pulumi.Resource[] = Object.values(this.namespaces);

    for (const pc of Object.values(PRIORITY_CLASSES)) {
      ready.push(
        new k8s.scheduling.v1.PriorityClass(
          `${name}-priority-${pc.name}`,
          {
            metadata: { name: pc.name },
            value: pc.value,
            preemptionPolicy: pc.preemptionPolicy,
            globalDefault: false,
            description: pc.description,
          },
          { parent: this },
        ),
      );
    }

    const budgets = failAs(this, () => namespaceBudgets(config));
    const limits = failAs(this, () => containerLimits(config));
    for (const key of keys) {
      const namespace = NAMESPACES[key];
      ready.push(
        new k8s.core.v1.ResourceQuota(
          `${name}-quota-${namespace}`,
          { metadata: { name: "compute", namespace }, spec: { hard: quotaHard(budgets[key]) } },
          inNamespace(key),
        ),
        new k8s.core.v1.LimitRange(
          `${name}-limits-${namespace}`,
          {
            metadata: { name: "container-defaults", namespace },
            spec: { limits: [{ type: "Container", ...limits[key] }] },
          },
          inNamespace(key),
        ),
      );
      if (key !== "media") {
        // Only the media namespace may run pods at the media priority: nothing else can outrank a live meeting.
        ready.push(
          new k8s.core.v1.ResourceQuota(
            `${name}-no-media-priority-${namespace}`,
            {
              metadata: { name: "no-media-priority", namespace },
              spec: {
                hard: { pods: "0" },
                scopeSelector: {
                  matchExpressions: [
                    { scopeName: "PriorityClass", operator: "In", values: [PRIORITY_CLASSES.media.name] },
                  ],
                },
              },
            },
            inNamespace(key),
          ),
        );
      }
    }

    const namespaceKey = (ns: string) => keys.find((k) => NAMESPACES[k] === ns) as NamespaceKey;
    for (const np of platformNetworkPolicies({
      vpcCidr: config.network.vpcCidr,
      rtcUdpPorts: config.media.rtcUdpPorts,
      rtcTcpPort: config.media.rtcTcpPort,
    })) {
      ready.push(
        new k8s.networking.v1.NetworkPolicy(
          `${name}-netpol-${np.namespace}-${np.name}`,
          {
            metadata: {
              name: np.name,
              namespace: np.namespace,
              annotations: { "gomeet.io/purpose": np.purpose },
            },
            spec: np.spec,
          },
          inNamespace(namespaceKey(np.namespace)),
        ),
      );
    }
    this.ready = ready;
    this.registerOutputs({});
  }
}
