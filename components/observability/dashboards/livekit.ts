import { z } from "zod";
import { parseObservabilityInput } from "../input-errors.ts";
import { scrapeJobName } from "../scrape-job.ts";
import { type GrafanaDashboard, grafanaDashboard } from "./grafana-model.ts";

export const liveKitDashboardInputSchema = z.object({
  livekitJob: scrapeJobName,
  /** vCPUs and NIC cap of a media node, drawn as the 100% line of the CPU and egress panels. */
  mediaNode: z.object({
    vcpus: z.number().int({ error: "expected an integer" }).min(1, { error: "expected an integer ≥ 1" }),
    nicGbps: z.number().gt(0, { error: "expected a number > 0" }),
  }),
});
export type LiveKitDashboardInput = z.input<typeof liveKitDashboardInputSchema>;

/**
 * LiveKit SFU fleet: rooms, participants, tracks, packet loss, per-node CPU and egress. Names are those
 * livekit-server v1.13.5 exposes on its Prometheus port (checked against a running server by the tests).
 */
export function liveKitDashboard(input: LiveKitDashboardInput): GrafanaDashboard {
  const { livekitJob, mediaNode } = parseObservabilityInput(
    liveKitDashboardInputSchema,
    input,
    "observability.dashboards.livekit",
  );
  const job = `job="${livekitJob}"`;
  return grafanaDashboard(
    {
      uid: "gomeet-livekit",
      title: "GoMeet / LiveKit SFU",
      description:
        "Rooms, participants, tracks, packet loss and media node headroom across the LiveKit fleet.",
      tags: ["livekit", "media"],
    },
    [
      {
        type: "stat",
        title: "Rooms",
        description: "Rooms open across all nodes.",
        unit: "short",
        queries: [{ expr: `sum(livekit_room_total{${job}})`, legend: "rooms" }],
      },
      {
        type: "stat",
        title: "Participants",
        description: "Participants connected across all nodes.",
        unit: "short",
        queries: [{ expr: `sum(livekit_participant_total{${job}})`, legend: "participants" }],
      },
      {
        type: "stat",
        title: "Published tracks",
        description: "Tracks being published, all kinds.",
        unit: "short",
        queries: [{ expr: `sum(livekit_track_published_total{${job}})`, legend: "published" }],
      },
      {
        type: "stat",
        title: "Nodes up",
        description: "LiveKit targets Prometheus can scrape.",
        unit: "short",
        queries: [{ expr: `sum(up{${job}})`, legend: "nodes" }],
      },
      {
        type: "timeseries",
        title: "Rooms and participants per node",
        description:
          "LiveKit places each room on one node; a node carrying a 500-person room should carry little else.",
        unit: "short",
        queries: [
          { expr: `sum by (instance) (livekit_room_total{${job}})`, legend: "rooms {{instance}}" },
          {
            expr: `sum by (instance) (livekit_participant_total{${job}})`,
            legend: "participants {{instance}}",
          },
        ],
      },
      {
        type: "timeseries",
        title: "Tracks published and subscribed",
        description:
          "Subscriptions grow with the square of a room's active publishers; watch them against CPU.",
        unit: "short",
        queries: [
          { expr: `sum by (kind) (livekit_track_published_total{${job}})`, legend: "published {{kind}}" },
          { expr: `sum by (kind) (livekit_track_subscribed_total{${job}})`, legend: "subscribed {{kind}}" },
        ],
      },
      {
        type: "timeseries",
        title: "Packet loss p95 (%)",
        description: "95th percentile of per-stream packet loss reported by the SFU, by direction.",
        unit: "percent",
        min: 0,
        queries: [
          {
            expr: `histogram_quantile(0.95, sum by (direction, le) (rate(livekit_packet_loss_percent_bucket{${job}}[5m])))`,
            legend: "{{direction}}",
          },
        ],
      },
      {
        type: "timeseries",
        title: "Participant joins",
        description:
          "Join progress by state; a gap between signal_connected and rtc_connected means ICE is failing (check TURN).",
        unit: "ops",
        queries: [
          { expr: `sum by (state) (rate(livekit_participant_join_total{${job}}[5m]))`, legend: "{{state}}" },
        ],
      },
      {
        type: "timeseries",
        title: `Node CPU (share of ${mediaNode.vcpus} vCPUs)`,
        description:
          "LiveKit process CPU per media node as a share of the node's vCPUs; alerts fire at 70% and 85%.",
        unit: "percentunit",
        min: 0,
        max: 1,
        queries: [
          {
            expr: `sum by (instance) (rate(process_cpu_seconds_total{${job}}[5m])) / ${mediaNode.vcpus}`,
            legend: "{{instance}}",
          },
        ],
      },
      {
        type: "timeseries",
        title: `Egress bandwidth (NIC cap ${mediaNode.nicGbps} Gbps)`,
        description: "Media the SFU sends, per node, in bits per second, against the NIC cap.",
        unit: "bps",
        min: 0,
        queries: [
          {
            expr: `sum by (instance) (rate(livekit_packet_bytes{${job}, direction="outgoing"}[5m])) * 8`,
            legend: "{{instance}}",
          },
          { expr: `vector(${mediaNode.nicGbps * 1e9})`, legend: "NIC cap" },
        ],
      },
    ],
  );
}
