import { RELEASE_TYPE } from "./kubernetes-objects.ts";
import { parseMemory } from "./pod-demand.ts";
import { asRecord, get, type PolicyResource } from "./resource.ts";

/**
 * What a Helm release puts in its namespace that the quota and LimitRange rules must count: the Services that
 * need NodePorts, the large pods and their volumes. Modelled from the values the stack passes and the chart's
 * documented defaults, for the charts the stack pins (components/gateway/charts.ts,
 * components/observability/monitoring-chart.ts). Small chart pods that take the namespace's LimitRange defaults
 * are not modelled; the control-plane test creates every rendered object and is the judge for those.
 */

export interface ModelledService {
  name: string;
  type: string;
  /** Ports that get a NodePort when the Service is of type NodePort or LoadBalancer. */
  ports: number;
}

export interface ModelledWorkload {
  name: string;
  replicas: number;
  /** Pods beyond `replicas` during a rollout. */
  surge: number;
  /** A pod spec fragment with `containers`, as the rules read them. */
  podSpec: Record<string, unknown>;
  /** Per-replica volume claims, in MiB. */
  volumeClaimsMiB: number[];
  /** Too large for the namespace's LimitRange default: the values must size it (rule workload-resources). */
  needsOwnResources: boolean;
}

export interface ReleaseModel {
  chart: string;
  services: ModelledService[];
  workloads: ModelledWorkload[];
}

/** traefik chart: `ports.<name>.expose.default` decides what the Service publishes (web and websecure by default). */
function traefikModel(values: Record<string, unknown>): Omit<ReleaseModel, "chart"> {
  const ports = { web: {}, websecure: {}, ...asRecord(values.ports) };
  const exposed = Object.entries(ports).filter(([name, port]) => {
    const expose = get(port, "expose.default");
    return expose === undefined ? name === "web" || name === "websecure" : expose === true;
  });
  const resources = asRecord(values.resources);
  return {
    services: [
      {
        name: "traefik",
        type: String(get(values, "service.type") ?? "LoadBalancer"),
        ports: get(values, "service.spec.allocateLoadBalancerNodePorts") === false ? 0 : exposed.length,
      },
    ],
    workloads: [
      {
        name: "traefik",
        replicas: Number(get(values, "deployment.replicas") ?? 1),
        surge: 1,
        podSpec: { containers: [{ name: "traefik", resources }] },
        volumeClaimsMiB: [],
        needsOwnResources: true,
      },
    ],
  };
}

function claimMiB(storageSpec: unknown): number[] {
  const size = parseMemory(get(storageSpec, "volumeClaimTemplate.spec.resources.requests.storage"));
  return size === undefined ? [] : [size];
}

/**
 * kube-prometheus-stack: the operator runs Prometheus and Alertmanager as StatefulSets with `replicas` pods, each
 * with one claim from `storageSpec`/`storage` and the container resources from `resources`.
 */
function kubePrometheusStackModel(values: Record<string, unknown>): Omit<ReleaseModel, "chart"> {
  const prometheus = asRecord(get(values, "prometheus.prometheusSpec"));
  const workloads: ModelledWorkload[] = [];
  if (get(values, "prometheus.enabled") !== false) {
    workloads.push({
      name: "prometheus",
      replicas: Number(prometheus.replicas ?? 1),
      surge: 0,
      podSpec: { containers: [{ name: "prometheus", resources: asRecord(prometheus.resources) }] },
      volumeClaimsMiB: claimMiB(prometheus.storageSpec),
      needsOwnResources: true,
    });
  }
  const alertmanager = asRecord(get(values, "alertmanager.alertmanagerSpec"));
  if (get(values, "alertmanager.enabled") !== false) {
    workloads.push({
      name: "alertmanager",
      replicas: Number(alertmanager.replicas ?? 1),
      surge: 0,
      podSpec: { containers: [{ name: "alertmanager", resources: asRecord(alertmanager.resources) }] },
      volumeClaimsMiB: claimMiB(alertmanager.storage),
      // It keeps only silences and the notification log; the namespace's LimitRange default is enough.
      needsOwnResources: false,
    });
  }
  return { services: [], workloads };
}

const MODELS: Record<string, (values: Record<string, unknown>) => Omit<ReleaseModel, "chart">> = {
  traefik: traefikModel,
  "kube-prometheus-stack": kubePrometheusStackModel,
};

/** The modelled content of a Helm release resource; undefined for other resources and unmodelled charts. */
export function releaseModel(r: PolicyResource): ReleaseModel | undefined {
  if (r.type !== RELEASE_TYPE) return undefined;
  const chart = String(r.props.chart ?? "");
  const model = MODELS[chart];
  return model ? { chart, ...model(asRecord(r.props.values)) } : undefined;
}
