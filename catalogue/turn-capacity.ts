import type { DropletSize } from "./droplet-sizes.ts";
import type { RoomLoad } from "./room-model.ts";

export interface TurnPlan {
  size: DropletSize;
  relayedParticipants: number;
  /** What one relayed participant pushes through TURN: its downstream to the client plus its upload to the SFU. */
  perRelayedParticipantMbps: number;
  relayGbps: number;
  perDropletGbps: number;
  droplets: number;
}

/**
 * TURN droplets for the relayed share of every participant at the target. coturn only copies packets, so the
 * droplet's network cap (docs/sources.md#droplet-limits), used up to `nicCap`, is what limits it.
 */
export function planTurn(
  size: DropletSize,
  meetings: number,
  participants: number,
  load: RoomLoad,
  relayShare: number,
  nicCap: number,
): TurnPlan {
  const relayedParticipants = Math.ceil(meetings * participants * relayShare - 1e-9);
  const uploadPerParticipantKbps = participants > 0 ? (load.ingressGbps * 1e6) / participants : 0;
  const perRelayedParticipantMbps = (load.perViewerKbps + uploadPerParticipantKbps) / 1000;
  const relayGbps = (relayedParticipants * perRelayedParticipantMbps) / 1000;
  const perDropletGbps = size.network_cap_gbps * nicCap;
  return {
    size,
    relayedParticipants,
    perRelayedParticipantMbps,
    relayGbps,
    perDropletGbps,
    droplets: Math.max(1, Math.ceil(relayGbps / perDropletGbps - 1e-9)),
  };
}
