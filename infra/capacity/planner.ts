import type { PlannerAssumptions } from "../../catalogue/assumptions.ts";
import { type DropletSize, dropletSize } from "../../catalogue/droplet-sizes.ts";
import {
  type MediaPoolPlan,
  mediaPoolOptions,
  mediaSizeCandidates,
  planMediaPool,
} from "../../catalogue/media-pool.ts";
import { type MeetingShape, type RoomLoad, roomFitProblem, roomLoad } from "../../catalogue/room-model.ts";
import { planTurn, type TurnPlan } from "../../catalogue/turn-capacity.ts";
import { type ControlPlanePlan, planControlPlane } from "./control-plane.ts";
import {
  dropletCostUsd,
  monthlyGiB,
  pooledAllowanceGiB,
  type TransferBill,
  transferBill,
} from "./transfer.ts";

export interface CapacityRequest {
  meetings: number;
  participants: number;
  /** Cameras on per meeting; defaults to the layout's tiles (at most participants − 1). */
  videoPublishers?: number;
  /** Media node size; omitted, the cheapest size that fits. */
  mediaSize?: string;
  turnSize: string;
  assumptions: PlannerAssumptions;
}

export interface CostRow {
  item: string;
  quantity: string;
  monthlyUsd: number;
}

export interface CapacityPlan {
  request: CapacityRequest;
  /** The peak shape (peakTilesPerViewer): what media nodes and TURN droplets are sized for. */
  shape: MeetingShape;
  load: RoomLoad;
  /** The default layout's shape (tilesPerViewer): what people get by default, and what transfer is priced at. */
  viewingShape: MeetingShape;
  viewingLoad: RoomLoad;
  /** Every catalog size with whether one room fits and why not. */
  sizeFits: { size: DropletSize; problem?: string }[];
  /** The cheapest pools on sizes that fit, for comparison. */
  options: MediaPoolPlan[];
  media: MediaPoolPlan;
  turn: TurnPlan;
  controlPlane: ControlPlanePlan;
  traffic: MeetingTraffic;
  transfer: TransferBill;
  costRows: CostRow[];
  totalMonthlyUsd: number;
  /** The media pool at its maximum for the whole month: the worst case, and what `npm run plan` lists as fixed. */
  mediaPoolAtMaxMonthlyUsd: number;
  participantHours: number;
  costPerParticipantHourUsd: number;
}

export function meetingShape(
  participants: number,
  videoPublishers: number | undefined,
  a: PlannerAssumptions,
): MeetingShape {
  return {
    participants,
    videoPublishers: videoPublishers ?? Math.min(a.tilesPerViewer, Math.max(0, participants - 1)),
    tilesPerViewer: a.tilesPerViewer,
    tileKbps: a.tileKbps,
    spotlight: a.spotlight > 0,
    spotlightKbps: a.spotlightKbps,
    screenShares: a.screenShares,
    screenShareKbps: a.screenShareKbps,
    liveSpeakers: Math.min(a.speakers, participants),
    audioKbps: a.audioKbps,
    videoPacketBytes: a.videoPacketBytes,
    audioPacketBytes: a.audioPacketBytes,
    publishedLayersKbps: [a.tileKbps, a.middleLayerKbps, a.spotlightKbps],
  };
}

export interface MeetingTraffic {
  hours: number;
  /** SFU → participants (and → TURN for relayed ones). */
  mediaEgressGiB: number;
  /** TURN → relayed participants and → SFU. */
  turnEgressGiB: number;
  totalEgressGiB: number;
}

/** Public outbound traffic of `meetings` rooms running `hours` a month; inbound is free (docs/sources.md#droplet-pricing). */
export function meetingTraffic(
  meetings: number,
  load: RoomLoad,
  turn: TurnPlan,
  hours: number,
): MeetingTraffic {
  const mediaEgressGiB = monthlyGiB(meetings * load.egressGbps, hours);
  const turnEgressGiB = monthlyGiB(turn.relayGbps, hours);
  return { hours, mediaEgressGiB, turnEgressGiB, totalEgressGiB: mediaEgressGiB + turnEgressGiB };
}

export function planCapacity(request: CapacityRequest): CapacityPlan {
  const a = request.assumptions;
  const forwarding = { packetsPerSecondPerVcpu: a.ppsPerVcpu, cpuCap: a.cpuCap };
  // Nodes must carry the most any client may receive; the month is priced at what clients show by default.
  const peakTiles = Math.max(a.peakTilesPerViewer, a.tilesPerViewer);
  const shape = meetingShape(request.participants, request.videoPublishers, {
    ...a,
    tilesPerViewer: peakTiles,
  });
  const load = roomLoad(shape, forwarding);
  const viewingShape = meetingShape(request.participants, request.videoPublishers, a);
  const viewingLoad = roomLoad(viewingShape, forwarding);
  const media = planMediaPool({
    meetings: request.meetings,
    shape,
    headroom: a.headroom,
    forwarding,
    ...(request.mediaSize ? { size: request.mediaSize } : {}),
  });
  const turnSize = dropletSize(request.turnSize);
  const turn = planTurn(turnSize, request.meetings, request.participants, load, a.relayShare, a.turnNicCap);
  const controlPlane = planControlPlane(request.meetings, request.participants, a);
  const hours = a.hoursPerMonth;
  const viewingTurn = planTurn(
    turnSize,
    request.meetings,
    request.participants,
    viewingLoad,
    a.relayShare,
    a.turnNicCap,
  );
  const traffic = meetingTraffic(request.meetings, viewingLoad, viewingTurn, hours);
  const scaledNodes = media.maxNodes - media.minNodes;
  const allowance = pooledAllowanceGiB([
    { size: media.size, count: media.minNodes, hours: Number.POSITIVE_INFINITY },
    { size: media.size, count: scaledNodes, hours },
    { size: turnSize, count: turn.droplets, hours: Number.POSITIVE_INFINITY },
  ]);
  const transfer = transferBill(traffic.totalEgressGiB, allowance);
  const costRows: CostRow[] = [
    {
      item: `media nodes ${media.size.slug}, always on (pool minimum)`,
      quantity: `${media.minNodes} × $${media.size.price_monthly_usd}/month`,
      monthlyUsd: dropletCostUsd(media.size, media.minNodes, Number.POSITIVE_INFINITY),
    },
    {
      item: `media nodes ${media.size.slug}, added for the meetings`,
      quantity: `${scaledNodes} × $${media.size.price_hourly_usd}/h × ${hours} h`,
      monthlyUsd: dropletCostUsd(media.size, scaledNodes, hours),
    },
    {
      item: `TURN droplets ${turnSize.slug} (reserved IPs free while assigned)`,
      quantity: `${turn.droplets} × $${turnSize.price_monthly_usd}/month`,
      monthlyUsd: dropletCostUsd(turnSize, turn.droplets, Number.POSITIVE_INFINITY),
    },
    {
      item: "outbound transfer beyond the pooled allowance",
      quantity: `${Math.round(transfer.overageGiB).toLocaleString("en-US")} GiB × $0.01`,
      monthlyUsd: transfer.overageUsd,
    },
  ];
  const totalMonthlyUsd = costRows.reduce((sum, row) => sum + row.monthlyUsd, 0);
  const participantHours = request.meetings * request.participants * hours;
  return {
    request,
    shape,
    load,
    viewingShape,
    viewingLoad,
    sizeFits: mediaSizeFits(load),
    options: mediaPoolOptions(request.meetings, load, a.headroom),
    media,
    turn,
    controlPlane,
    traffic,
    transfer,
    costRows,
    totalMonthlyUsd,
    mediaPoolAtMaxMonthlyUsd: dropletCostUsd(media.size, media.maxNodes, Number.POSITIVE_INFINITY),
    participantHours,
    costPerParticipantHourUsd: participantHours > 0 ? totalMonthlyUsd / participantHours : 0,
  };
}

function mediaSizeFits(load: RoomLoad): { size: DropletSize; problem?: string }[] {
  return mediaSizeCandidates().map((size) => {
    const problem = roomFitProblem(size, load);
    return problem ? { size, problem } : { size };
  });
}
