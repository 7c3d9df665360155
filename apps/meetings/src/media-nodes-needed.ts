import { Gauge, type Registry } from "prom-client";
import type { Sql } from "../../shared/src/index.ts";
import type { MediaScalingConfig } from "./config.ts";

/**
 * Media nodes a set of meetings needs. LiveKit hosts a room on exactly one node
 * (docs/sources.md#livekit-distributed-setup), and a meeting above the threshold is given a node of its own
 * (docs/capacity.md: one 500-person room per 16-vCPU node).
 * Smaller meetings are packed first-fit-decreasing into nodes of `nodeParticipants`; a room never spans
 * nodes, so packing is by whole meetings. Headroom is a percentage on top, rounded up.
 */
export function mediaNodesNeeded(capacities: readonly number[], config: MediaScalingConfig): number {
  let nodes = 0;
  const bins: number[] = [];
  const small = capacities.filter((c) => c > 0).sort((a, b) => b - a);
  for (const capacity of small) {
    if (capacity > config.largeMeetingThreshold || capacity >= config.nodeParticipants) {
      nodes += 1;
      continue;
    }
    const bin = bins.findIndex((free) => free >= capacity);
    if (bin === -1) bins.push(config.nodeParticipants - capacity);
    else bins[bin] = (bins[bin] ?? 0) - capacity;
  }
  const base = nodes + bins.length;
  return Math.ceil((base * (100 + config.headroomPercent)) / 100);
}

/**
 * Capacities for each window: `now` = live meetings; `lead` = live meetings still running at now + lead plus
 * scheduled meetings starting before then (nodes must be up before people join: docs/capacity.md
 * "Schedule-aware scaling").
 */
export async function scheduledCapacities(
  sql: Sql,
  leadSeconds: number,
): Promise<{ now: number[]; lead: number[] }> {
  const rows = await sql<{ capacity: number; live: boolean; inLead: boolean }[]>`
    select capacity, state = 'live' as live,
      case when state = 'live'
        then coalesce(started_at, starts_at) + make_interval(mins => duration_minutes)
          > now() + make_interval(secs => ${leadSeconds})
        else starts_at + make_interval(mins => duration_minutes) > now() end as "inLead"
    from meetings
    where state = 'live' or (state = 'scheduled' and starts_at <= now() + make_interval(secs => ${leadSeconds}))`;
  return {
    now: rows.filter((r) => r.live).map((r) => r.capacity),
    lead: rows.filter((r) => r.inLead).map((r) => r.capacity),
  };
}

/** `gomeet_media_nodes_needed{window}` (docs/metrics.md), computed from the schedule at every scrape. */
export function registerMediaNodesGauge(registry: Registry, sql: Sql, config: MediaScalingConfig): void {
  new Gauge({
    name: "gomeet_media_nodes_needed",
    help: "Media nodes the schedule needs: now (live meetings) and lead (live or starting within the lead time), with headroom.",
    labelNames: ["window"],
    registers: [registry],
    async collect() {
      const capacities = await scheduledCapacities(sql, config.leadSeconds);
      this.set({ window: "now" }, mediaNodesNeeded(capacities.now, config));
      this.set({ window: "lead" }, mediaNodesNeeded(capacities.lead, config));
    },
  });
}
