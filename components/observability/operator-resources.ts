import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { SERVICE_NAMES } from "../apps/service-registry.ts";
import { NAMESPACES } from "../baseline/namespaces.ts";
import { certManagerMonitorSpec, serviceMonitorSpec, traefikMonitorSpec } from "./monitoring-targets.ts";

/** Options of an object of the Prometheus operator's kinds: created after the release that installs the CRDs. */
export type AfterOperatorRelease = pulumi.CustomResourceOptions & { parent: pulumi.Resource };

/** A `monitoring.coreos.com/v1` object (PrometheusRule, ServiceMonitor) named `<component>-<resource>`. */
export function operatorResource(
  component: string,
  resource: string,
  object: { kind: string; namespace: string; name: string; spec: unknown },
  opts: AfterOperatorRelease,
): k8s.apiextensions.CustomResource {
  return new k8s.apiextensions.CustomResource(
    `${component}-${resource}`,
    {
      apiVersion: "monitoring.coreos.com/v1",
      kind: object.kind,
      metadata: { name: object.name, namespace: object.namespace },
      spec: object.spec,
    },
    opts,
  );
}

/**
 * ServiceMonitors for the other components' workloads: every control-plane service (components/apps), and the
 * gateway's cert-manager and Traefik. Each lives in the namespace of what it scrapes; the monitoring component
 * owns them so that one place says what Prometheus scrapes.
 */
export function platformServiceMonitors(component: string, opts: AfterOperatorRelease): void {
  for (const service of SERVICE_NAMES) {
    operatorResource(
      component,
      `servicemonitor-${service}`,
      {
        kind: "ServiceMonitor",
        namespace: NAMESPACES.services,
        name: service,
        spec: serviceMonitorSpec(service),
      },
      opts,
    );
  }
  operatorResource(
    component,
    "servicemonitor-cert-manager",
    {
      kind: "ServiceMonitor",
      namespace: NAMESPACES.certManager,
      name: "cert-manager",
      spec: certManagerMonitorSpec(),
    },
    opts,
  );
  operatorResource(
    component,
    "servicemonitor-traefik",
    { kind: "ServiceMonitor", namespace: NAMESPACES.gateway, name: "traefik", spec: traefikMonitorSpec() },
    opts,
  );
}
