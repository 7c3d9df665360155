import { type AlertRule, alertRule, percent, promNumber } from "./alert-rule.ts";
import type { PrometheusRulesSettings } from "./rules.ts";

/**
 * User-facing SLO alerts: API latency and errors, meeting joins, media node headroom, LiveKit scrape health
 * and TURN allocations. Metric names: docs/metrics.md, plus livekit-server's own `/metrics`
 * (`process_cpu_seconds_total`, `livekit_packet_bytes`) and Prometheus' synthetic `up`.
 */
export function sloAlerts(settings: PrometheusRulesSettings): AlertRule[] {
  const context = settings;
  const livekit = `job="${settings.jobs.livekit}"`;
  const { vcpus, nicGbps, cpu, bandwidth } = settings.mediaNode;
  const latencyMs = Math.round(settings.api.p99LatencySeconds * 1000);
  const apiP99 = `histogram_quantile(0.99, sum by (service, le) (rate(gomeet_http_request_duration_seconds_bucket[5m])))`;
  // LiveKit runs one SFU per media node with hostNetwork, so its process CPU is the node's media load.
  const sfuCpuShare = `sum by (instance) (rate(process_cpu_seconds_total{${livekit}}[5m])) / ${promNumber(vcpus)}`;
  const sfuEgressBits = `sum by (instance) (rate(livekit_packet_bytes{${livekit}, direction="outgoing"}[5m])) * 8`;
  const nicBits = nicGbps * 1e9;

  const cpuText = (ratio: number) => ({
    summary: `Media node {{ $labels.instance }} uses over ${percent(ratio)} of its ${vcpus} vCPUs`,
    description: `LiveKit on {{ $labels.instance }} has used more than ${percent(ratio)} of ${vcpus} vCPUs for the alert's duration; rooms placed on it will degrade. Add media nodes or move new rooms elsewhere.`,
  });
  const bandwidthText = (ratio: number) => ({
    summary: `Media node {{ $labels.instance }} sends over ${percent(ratio)} of its ${nicGbps} Gbps NIC cap`,
    description: `LiveKit egress on {{ $labels.instance }} has exceeded ${percent(ratio)} of the ${nicGbps} Gbps NIC cap; subscribers will see loss and downgraded layers.`,
  });

  return [
    alertRule(
      context,
      "ApiLatencyP99High",
      "warning",
      `${apiP99} > ${promNumber(settings.api.p99LatencySeconds)}`,
      "5m",
      {
        summary: `p99 latency of {{ $labels.service }} is above ${latencyMs} ms`,
        description: `The 99th percentile request latency of {{ $labels.service }} has been above the ${latencyMs} ms SLO for 5 minutes.`,
      },
    ),
    alertRule(
      context,
      "ApiLatencyP99High",
      "critical",
      `${apiP99} > ${promNumber(settings.api.p99LatencySeconds)}`,
      "15m",
      {
        summary: `p99 latency of {{ $labels.service }} is above ${latencyMs} ms for 15 minutes`,
        description: `The 99th percentile request latency of {{ $labels.service }} has been above the ${latencyMs} ms SLO for 15 minutes: the SLO is being spent, act now.`,
      },
    ),
    alertRule(
      context,
      "ApiErrorRateHigh",
      "critical",
      `sum by (service) (rate(gomeet_http_requests_total{status=~"5.."}[5m])) / sum by (service) (rate(gomeet_http_requests_total[5m])) > ${promNumber(settings.api.errorRatio)}`,
      "5m",
      {
        summary: `{{ $labels.service }} answers over ${percent(settings.api.errorRatio)} of requests with 5xx`,
        description: `More than ${percent(settings.api.errorRatio)} of the requests to {{ $labels.service }} have failed with a 5xx status for 5 minutes.`,
      },
    ),
    alertRule(
      context,
      "MeetingJoinFailuresHigh",
      "critical",
      `sum by (service) (rate(gomeet_meeting_joins_total{outcome="error"}[5m])) / sum by (service) (rate(gomeet_meeting_joins_total[5m])) > ${promNumber(settings.joins.failureRatio)}`,
      "5m",
      {
        summary: `Over ${percent(settings.joins.failureRatio)} of meeting joins fail`,
        description: `More than ${percent(settings.joins.failureRatio)} of join attempts handled by {{ $labels.service }} ended in an error (not "full" or "denied") for 5 minutes.`,
      },
    ),
    alertRule(
      context,
      "MediaNodeCpuNearCapacity",
      "warning",
      `${sfuCpuShare} > ${promNumber(cpu.warning)}`,
      "10m",
      cpuText(cpu.warning),
    ),
    alertRule(
      context,
      "MediaNodeCpuNearCapacity",
      "critical",
      `${sfuCpuShare} > ${promNumber(cpu.critical)}`,
      "5m",
      cpuText(cpu.critical),
    ),
    alertRule(
      context,
      "MediaNodeBandwidthNearCapacity",
      "warning",
      `${sfuEgressBits} > ${promNumber(nicBits * bandwidth.warning)}`,
      "10m",
      bandwidthText(bandwidth.warning),
    ),
    alertRule(
      context,
      "MediaNodeBandwidthNearCapacity",
      "critical",
      `${sfuEgressBits} > ${promNumber(nicBits * bandwidth.critical)}`,
      "5m",
      bandwidthText(bandwidth.critical),
    ),
    alertRule(
      context,
      "LiveKitNodeNotReporting",
      "critical",
      `up{${livekit}} == 0 or absent(up{${livekit}})`,
      "2m",
      {
        summary: "A LiveKit node is not reporting metrics",
        description: `Prometheus could not scrape LiveKit target {{ $labels.instance }} (job ${settings.jobs.livekit}) for 2 minutes, or no LiveKit target exists at all. Rooms on that node may be down.`,
      },
    ),
    alertRule(
      context,
      "TurnAllocationFailures",
      "warning",
      `sum by (server) (rate(gomeet_turn_probe_total{outcome!="ok"}[10m])) / sum by (server) (rate(gomeet_turn_probe_total[10m])) > ${promNumber(settings.turn.failureRatio)}`,
      "10m",
      {
        summary: `Over ${percent(settings.turn.failureRatio)} of TURN probes to {{ $labels.server }} fail`,
        description: `The TURN prober's allocations on {{ $labels.server }} have failed more than ${percent(settings.turn.failureRatio)} of the time for 10 minutes.`,
      },
    ),
    alertRule(
      context,
      "TurnAllocationFailures",
      "critical",
      "max by (server) (gomeet_turn_probe_success) == 0",
      "3m",
      {
        summary: "TURN server {{ $labels.server }} refuses allocations",
        description:
          "Every TURN allocation the prober attempted on {{ $labels.server }} for 3 minutes has failed; users behind strict NATs cannot join.",
      },
    ),
  ];
}
