import { defaultAssumptions } from "../../catalogue/assumptions.ts";
import { dropletSize } from "../../catalogue/droplet-sizes.ts";
import { roomLoad } from "../../catalogue/room-model.ts";
import { planTurn } from "../../catalogue/turn-capacity.ts";
import { meetingShape, meetingTraffic } from "../capacity/planner.ts";
import { type DropletHours, dropletCostUsd, pooledAllowanceGiB, transferBill } from "../capacity/transfer.ts";
import type { DeclaredUsage, NodeGroup } from "./cost.ts";

/**
 * What the declared meeting-hours add to the fixed bill: the media and TURN traffic of the target meetings at
 * the default meeting shape against the pooled allowance of every node, and the media nodes above the pool's
 * minimum billed hourly for those hours.
 */
export function priceUsage(groups: NodeGroup[], mediaPool: NodeGroup | undefined, usage: DeclaredUsage) {
  const a = defaultAssumptions();
  const load = roomLoad(meetingShape(usage.participants, undefined, a), {
    packetsPerSecondPerVcpu: a.ppsPerVcpu,
    cpuCap: a.cpuCap,
  });
  // The relayed traffic does not depend on the TURN size; the size only sets how many droplets carry it.
  const turn = planTurn(
    mediaPool?.size ?? dropletSize("c-4-intel"),
    usage.meetings,
    usage.participants,
    load,
    a.relayShare,
    a.turnNicCap,
  );
  const traffic = meetingTraffic(usage.meetings, load, turn, usage.hoursPerMonth);
  const scaled = mediaPool ? mediaPool.maxNodes - mediaPool.minNodes : 0;
  const always: DropletHours[] = groups.map((g) => ({
    size: g.size,
    count: g.minNodes,
    hours: Number.POSITIVE_INFINITY,
  }));
  if (mediaPool) always.push({ size: mediaPool.size, count: scaled, hours: usage.hoursPerMonth });
  const bill = transferBill(traffic.totalEgressGiB, pooledAllowanceGiB(always));
  const scaledMediaUsd = mediaPool ? dropletCostUsd(mediaPool.size, scaled, usage.hoursPerMonth) : 0;
  const participantHours = usage.meetings * usage.participants * usage.hoursPerMonth;
  return {
    mediaEgressGiB: traffic.mediaEgressGiB,
    turnEgressGiB: traffic.turnEgressGiB,
    allowanceGiB: bill.allowanceGiB,
    overageGiB: bill.overageGiB,
    overageUsd: bill.overageUsd,
    scaledMediaUsd,
    expectedMonthUsd: 0,
    participantHours,
    costPerParticipantHourUsd: 0,
  };
}
