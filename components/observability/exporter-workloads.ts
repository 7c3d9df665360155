import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { EXPORTERS, exporterDeploymentSpec } from "./exporters.ts";
import { type AfterOperatorRelease, operatorResource } from "./operator-resources.ts";

export interface ExporterWorkloadsArgs {
  namespace: string;
  /** Connection strings (secret) of the managed PostgreSQL and Valkey the exporters read. */
  connections: Record<keyof typeof EXPORTERS, pulumi.Output<string>>;
}

/**
 * The managed databases' exporters (exporters.ts): per exporter a Secret with its connection string, the
 * Deployment, its Service and the ServiceMonitor that scrapes it. The connection string reaches the pod only
 * through the Secret.
 */
export function exporterWorkloads(
  component: string,
  args: ExporterWorkloadsArgs,
  opts: { workload: pulumi.CustomResourceOptions; monitor: AfterOperatorRelease },
): void {
  const ns = args.namespace;
  for (const [key, exporter] of Object.entries(EXPORTERS) as [
    keyof typeof EXPORTERS,
    (typeof EXPORTERS)[keyof typeof EXPORTERS],
  ][]) {
    const labels = { "app.kubernetes.io/name": exporter.name };
    new k8s.core.v1.Secret(
      `${component}-${exporter.name}-connection`,
      {
        metadata: { name: `${exporter.name}-connection`, namespace: ns },
        type: "Opaque",
        stringData: { [exporter.secretKey]: pulumi.secret(args.connections[key]) },
      },
      opts.workload,
    );
    new k8s.apps.v1.Deployment(
      `${component}-${exporter.name}`,
      {
        metadata: { name: exporter.name, namespace: ns, labels },
        spec: exporterDeploymentSpec(exporter, `${exporter.name}-connection`),
      },
      opts.workload,
    );
    new k8s.core.v1.Service(
      `${component}-${exporter.name}-service`,
      {
        metadata: { name: exporter.name, namespace: ns, labels },
        spec: {
          selector: labels,
          ports: [{ name: "metrics", port: exporter.port, targetPort: "metrics" }],
        },
      },
      opts.workload,
    );
    operatorResource(
      component,
      `servicemonitor-${exporter.name}`,
      {
        kind: "ServiceMonitor",
        namespace: ns,
        name: exporter.name,
        spec: {
          selector: { matchLabels: labels },
          endpoints: [{ port: "metrics", path: "/metrics", interval: "30s" }],
        },
      },
      opts.monitor,
    );
  }
}
