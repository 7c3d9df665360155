import type { NodePoolConfig } from "../../stacks/schema.ts";
import { MEDIA_NODES_NEEDED_METRIC } from "../observability/metrics-adapter.ts";
import { liveKitProbes } from "./livekit-workload.ts";

/**
 * How long a new media node takes from "the schedule needs it" to "LiveKit on it is Ready", step by step. The
 * DigitalOcean steps are assumptions: DigitalOcean's docs (docs/sources.md#doks-autoscaling) give no provisioning
 * time for a DOKS node, so they are stated here and measured as docs/capacity.md "Schedule-aware scaling" says.
 */
export const MEDIA_NODE_STARTUP_STEPS = [
  // The meetings ServiceMonitor scrapes every 30 s (components/observability/monitoring-targets.ts).
  { step: "Prometheus scrapes the meetings gauge", seconds: 30, source: "ServiceMonitor interval" },
  // The adapter queries Prometheus on each request; the HPA controller syncs every 15 s (kube-controller-manager
  // --horizontal-pod-autoscaler-sync-period default, docs/sources.md#horizontal-pod-autoscaler).
  { step: "HPA reads the External metric and adds a replica", seconds: 15, source: "HPA sync period" },
  // Cluster Autoscaler default --scan-interval 10 s (docs/sources.md#cluster-autoscaler).
  { step: "Cluster Autoscaler sees the Pending LiveKit pod", seconds: 10, source: "CA scan interval" },
  {
    step: "DigitalOcean creates the Droplet and it joins as a Ready node",
    seconds: 300,
    source: "assumption (measure: docs/capacity.md)",
  },
  {
    step: "pull the LiveKit and sysctl images",
    seconds: 60,
    source: "assumption (measure: docs/capacity.md)",
  },
  {
    step: "sysctl init container, LiveKit start and readiness",
    // Readiness needs one success after start; allow the whole failure budget of the probe.
    seconds: 10 + liveKitProbes().readiness.periodSeconds * liveKitProbes().readiness.failureThreshold,
    source: "readiness probe (livekit-workload.ts)",
  },
] as const;

export function mediaNodeStartupSeconds(): number {
  return MEDIA_NODE_STARTUP_STEPS.reduce((sum, s) => sum + s.seconds, 0);
}

/**
 * The meetings service's look-ahead (`MEETINGS_SCALE_LEAD_SECONDS`): nodes for a meeting are asked for this long
 * before it starts. 20 minutes is more than twice the start-up estimate above (435 s, about 7 min), so a Droplet that takes
 * twice the assumed time, or a second scale-up round, still lands before the first participant; with per-second
 * node billing (docs/sources.md#doks-pricing) the early node costs 20 minutes of one Droplet per meeting.
 */
export const MEDIA_SCALE_LEAD_SECONDS = 1_200;

/**
 * The LiveKit HPA: one replica per media node (required anti-affinity), so the replica count is the node count and
 * its bounds are the media pool's. Three metrics, and the HPA takes the largest replica count any of them asks
 * for (HorizontalPodAutoscalerSpec.metrics):
 * - `gomeet_media_nodes_needed{window="now"}` and `{window="lead"}` as External metrics with AverageValue 1 (one
 *   node per pod): ceil(value / 1) replicas, i.e. max(now, lead). One metric per window, since the HPA sums the
 *   series a single selector matches.
 * - CPU at 60 %, kept alongside: the schedule does not know a meeting's real load (publishers, layouts, ad-hoc
 *   rooms), CPU does; and if the schedule metric is missing (meetings or Prometheus down) the HPA still scales up
 *   on CPU and refuses to scale down while a metric is unreadable (HPA "Algorithm details",
 *   docs/sources.md#horizontal-pod-autoscaler), which is the safe way to be blind. The Helm chart's DigitalOcean
 *   example scales at 60 % (docs/sources.md#livekit-helm-chart), below the node selector's 80 % skip threshold
 *   for rooms already placed.
 */
export function liveKitScaling(pool: NodePoolConfig) {
  const nodesNeeded = (window: "now" | "lead") => ({
    type: "External",
    external: {
      metric: { name: MEDIA_NODES_NEEDED_METRIC, selector: { matchLabels: { window } } },
      target: { type: "AverageValue", averageValue: "1" },
    },
  });
  return {
    minReplicas: pool.minNodes,
    maxReplicas: pool.maxNodes,
    metrics: [
      nodesNeeded("lead"),
      nodesNeeded("now"),
      {
        type: "Resource",
        resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 60 } },
      },
    ],
    behavior: liveKitScalingBehavior(),
  };
}

/** One hour: a meeting ending early on an hourly schedule keeps its node until the next slot is in the lead window. */
export const LIVEKIT_SCALE_DOWN_STABILIZATION_SECONDS = 3_600;

/**
 * Up: at once, as many nodes as asked (a 500-person meeting needs its node before it starts; the Droplets are the
 * slow part). Down: only after the need has stayed lower for an hour, and one pod per 10 minutes, because every
 * removed pod drains its rooms for up to LIVEKIT_DRAIN_SECONDS and the PDB lets one media node go at a time
 * (docs/sources.md#livekit-distributed-setup, https://github.com/livekit/livekit/issues/1032).
 */
export function liveKitScalingBehavior() {
  return {
    scaleUp: {
      stabilizationWindowSeconds: 0,
      selectPolicy: "Max",
      policies: [
        { type: "Pods", value: 4, periodSeconds: 60 },
        { type: "Percent", value: 100, periodSeconds: 60 },
      ],
    },
    scaleDown: {
      stabilizationWindowSeconds: LIVEKIT_SCALE_DOWN_STABILIZATION_SECONDS,
      selectPolicy: "Min",
      policies: [{ type: "Pods", value: 1, periodSeconds: 600 }],
    },
  };
}
