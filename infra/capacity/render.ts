import { ASSUMPTIONS, type PlannerAssumptions } from "../../catalogue/assumptions.ts";
import type { CapacityPlan } from "./planner.ts";

const n = (v: number, digits = 0) =>
  v.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
const usd = (v: number) => `$${n(v, 2)}`;

/** The plan as text: every figure, then the assumptions it rests on with their sources and flags. */
export function renderCapacityPlan(plan: CapacityPlan): string {
  const { request: r, shape, load, media, turn } = plan;
  const out: string[] = [];
  out.push(`Capacity plan: ${r.meetings} concurrent meetings × ${r.participants} participants`);
  out.push("");
  out.push("Meeting shape (per room)");
  out.push(`  video publishers            ${shape.videoPublishers}`);
  out.push(`  visible tiles per viewer    ${load.visibleTiles} × ${shape.tileKbps} kbps`);
  out.push(`  spotlight                   ${shape.spotlight ? `1 × ${shape.spotlightKbps} kbps` : "none"}`);
  out.push(`  screen shares               ${shape.screenShares} × ${shape.screenShareKbps} kbps`);
  out.push(`  live audio speakers         ${shape.liveSpeakers} × ${shape.audioKbps} kbps`);
  out.push(
    `  per viewer                  ${n(load.perViewerKbps)} kbps, ${n(load.perViewerPacketsPerSecond)} packets/s`,
  );
  out.push(`  forwarded packets/s         ${n(load.forwardedPacketsPerSecond)}`);
  out.push(`  egress                      ${n(load.egressGbps, 3)} Gbps`);
  out.push(`  ingress (publishers)        ${n(load.ingressGbps, 3)} Gbps`);
  out.push(`  vCPU needed                 ${n(load.vcpusNeeded, 2)}`);
  out.push(
    `  sized for ${load.visibleTiles} tiles (the most a viewer may receive); transfer priced at the default layout's ${plan.viewingLoad.visibleTiles} tiles: ${n(plan.viewingLoad.perViewerKbps)} kbps per viewer, ${n(plan.viewingLoad.egressGbps, 3)} Gbps per room`,
  );
  out.push("");
  const fits = plan.sizeFits.filter((f) => !f.problem);
  out.push(
    `Sizes that host one room: ${fits.length} of ${plan.sizeFits.length} dedicated-vCPU sizes in sgp1 (cheapest pools)`,
  );
  out.push("  size                    vCPU  Gbps  rooms/node  nodes  $/month at max");
  for (const o of plan.options.slice(0, 6)) {
    out.push(
      `  ${o.size.slug.padEnd(22)} ${String(o.size.vcpus).padStart(5)} ${String(o.size.network_cap_gbps).padStart(5)} ${String(o.roomsPerNode).padStart(11)} ${String(o.maxNodes).padStart(6)}  ${usd(o.maxNodes * o.size.price_monthly_usd).padStart(14)}`,
    );
  }
  const refused = plan.sizeFits.filter((f) => f.problem).slice(-3);
  for (const f of refused) out.push(`  not ${f.problem}`);
  out.push("");
  out.push(`Media nodes (${media.size.slug}${r.mediaSize ? ", as requested" : ", cheapest that fits"})`);
  out.push(`  rooms per node              ${media.roomsPerNode}`);
  out.push(`  nodes for the target        ${media.nodesForTarget}`);
  out.push(`  spare nodes (headroom)      ${media.spareNodes}`);
  out.push(`  pool                        minNodes ${media.minNodes}, maxNodes ${media.maxNodes}`);
  out.push("");
  out.push(`TURN (${turn.size.slug})`);
  out.push(`  relayed participants        ${n(turn.relayedParticipants)}`);
  out.push(`  per relayed participant     ${n(turn.perRelayedParticipantMbps, 3)} Mbps`);
  out.push(`  relayed traffic             ${n(turn.relayGbps, 2)} Gbps`);
  out.push(`  per droplet                 ${n(turn.perDropletGbps, 1)} Gbps`);
  out.push(`  droplets                    ${turn.droplets}`);
  out.push("");
  out.push("Control-plane replicas (at the meetings' start and during them)");
  for (const s of plan.controlPlane.services) {
    out.push(
      `  ${s.service.padEnd(9)} ${String(s.replicas).padStart(3)} replicas × ${s.replicaCpu} CPU  (${n(s.coresNeeded, 2)} cores for ${s.driver})`,
    );
  }
  out.push("");
  const t = plan.transfer;
  out.push(`Monthly transfer (${plan.traffic.hours} meeting-hours)`);
  out.push(`  media egress                ${n(plan.traffic.mediaEgressGiB)} GiB`);
  out.push(`  TURN egress                 ${n(plan.traffic.turnEgressGiB)} GiB`);
  out.push(`  pooled allowance            ${n(t.allowanceGiB)} GiB (media nodes and TURN droplets)`);
  out.push(`  overage                     ${n(t.overageGiB)} GiB`);
  out.push("");
  out.push("Monthly cost");
  for (const row of plan.costRows) {
    out.push(`  ${row.item.padEnd(58)} ${row.quantity.padEnd(32)} ${usd(row.monthlyUsd).padStart(14)}`);
  }
  out.push(`  ${"total".padEnd(58)} ${"".padEnd(32)} ${usd(plan.totalMonthlyUsd).padStart(14)}`);
  out.push(
    `  media pool at maxNodes all month: ${media.maxNodes} × $${media.size.price_monthly_usd} = ${usd(plan.mediaPoolAtMaxMonthlyUsd)}`,
  );
  out.push(
    `  participant-hours: ${n(plan.participantHours)}  →  $${n(plan.costPerParticipantHourUsd, 4)} per participant-hour`,
  );
  out.push("");
  out.push(renderAssumptions(r.assumptions));
  return `${out.join("\n")}\n`;
}

export function renderAssumptions(values: PlannerAssumptions): string {
  const lines = ["Assumptions (override with --<flag> <value>)"];
  for (const a of ASSUMPTIONS) {
    const value = values[a.key];
    const changed = value !== a.value ? `  [default ${a.value}]` : "";
    lines.push(`  --${a.flag.padEnd(22)} ${String(value).padStart(8)}  ${a.unit}${changed}`);
    lines.push(`  ${"".padEnd(33)}source: ${a.source}`);
  }
  return lines.join("\n");
}
