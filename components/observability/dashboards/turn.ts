import { z } from "zod";
import { parseObservabilityInput } from "../input-errors.ts";
import { scrapeJobName } from "../scrape-job.ts";
import { type GrafanaDashboard, grafanaDashboard } from "./grafana-model.ts";

export const turnDashboardInputSchema = z.object({
  /** node-exporter job of the TURN droplets (they live outside the cluster and are scraped by address). */
  turnNodeJob: scrapeJobName,
});
export type TurnDashboardInput = z.input<typeof turnDashboardInputSchema>;

/**
 * TURN fleet: the prober's allocation success and round-trip latency per server (docs/metrics.md), and
 * each droplet's network throughput from node-exporter. coturn's own Prometheus exporter is not compiled
 * into the Debian package (docs/sources.md#coturn), hence the prober.
 */
export function turnDashboard(input: TurnDashboardInput): GrafanaDashboard {
  const { turnNodeJob } = parseObservabilityInput(
    turnDashboardInputSchema,
    input,
    "observability.dashboards.turn",
  );
  const nic = `job="${turnNodeJob}", device!~"lo|docker.*|veth.*"`;
  return grafanaDashboard(
    {
      uid: "gomeet-turn",
      title: "GoMeet / TURN",
      description: "TURN allocation probes and droplet bandwidth.",
      tags: ["turn", "media"],
    },
    [
      {
        type: "stat",
        title: "Servers allocating",
        description: "TURN servers whose last probe allocation succeeded.",
        unit: "short",
        queries: [{ expr: "sum(gomeet_turn_probe_success)", legend: "ok" }],
      },
      {
        type: "stat",
        title: "Servers failing",
        description: "TURN servers whose last probe allocation failed.",
        unit: "short",
        queries: [{ expr: "count(gomeet_turn_probe_success == 0) or vector(0)", legend: "failing" }],
      },
      {
        type: "timeseries",
        title: "Probe success",
        description: "1 when the last allocate + refresh(0) round on the server succeeded.",
        unit: "short",
        min: 0,
        max: 1,
        queries: [{ expr: "max by (server) (gomeet_turn_probe_success)", legend: "{{server}}" }],
      },
      {
        type: "timeseries",
        title: "Probe outcomes",
        description:
          "Probes per second by outcome; auth_failed points at a secret mismatch between LiveKit and coturn.",
        unit: "ops",
        queries: [
          {
            expr: "sum by (server, outcome) (rate(gomeet_turn_probe_total[5m]))",
            legend: "{{server}} {{outcome}}",
          },
        ],
      },
      {
        type: "timeseries",
        title: "Probe latency p50 / p95",
        description: "Time of a full allocation round per server.",
        unit: "s",
        queries: [
          {
            expr: "histogram_quantile(0.5, sum by (server, le) (rate(gomeet_turn_probe_duration_seconds_bucket[5m])))",
            legend: "p50 {{server}}",
          },
          {
            expr: "histogram_quantile(0.95, sum by (server, le) (rate(gomeet_turn_probe_duration_seconds_bucket[5m])))",
            legend: "p95 {{server}}",
          },
        ],
      },
      {
        type: "timeseries",
        title: "Droplet bandwidth",
        description:
          "Bits per second in and out of each TURN droplet (relayed media counts twice: in and out).",
        unit: "bps",
        queries: [
          {
            expr: `sum by (instance) (rate(node_network_transmit_bytes_total{${nic}}[5m])) * 8`,
            legend: "out {{instance}}",
          },
          {
            expr: `sum by (instance) (rate(node_network_receive_bytes_total{${nic}}[5m])) * 8`,
            legend: "in {{instance}}",
          },
        ],
      },
    ],
  );
}
