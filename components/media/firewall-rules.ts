import type { PortRange } from "./input-rules.ts";

/**
 * Cloud Firewall rules for the media nodes and the TURN droplets, as plain data. DigitalOcean firewalls take
 * ICMP/TCP/UDP rules with a `port_range` of one port or `low-high` (docs/sources.md#cloud-firewalls,
 * docs/sources.md#pulumi-digitalocean-provider `Firewall`).
 */
export interface InboundRule {
  protocol: "tcp" | "udp";
  portRange: string;
  sourceAddresses: string[];
}
export interface OutboundRule {
  protocol: "tcp" | "udp" | "icmp";
  portRange?: string;
  destinationAddresses: string[];
}

export const ANYWHERE = ["0.0.0.0/0", "::/0"];

function ports(range: PortRange): string {
  return range.start === range.end ? String(range.start) : `${range.start}-${range.end}`;
}

/**
 * What WebRTC clients reach directly on a media node: the ICE/UDP host-candidate range and ICE/TCP
 * (docs/sources.md#livekit-ports-and-firewall). Signalling (HTTP 7880) goes through the gateway and stays
 * closed; the NodePort range is opened by DOKS' own managed firewalls (docs/sources.md#doks-managed-firewalls).
 */
export function webRtcInboundRules(rtc: { udpPortRange: PortRange; tcpPort: number }): InboundRule[] {
  return [
    { protocol: "udp", portRange: ports(rtc.udpPortRange), sourceAddresses: ANYWHERE },
    { protocol: "tcp", portRange: String(rtc.tcpPort), sourceAddresses: ANYWHERE },
  ];
}

export interface TurnPorts {
  /** STUN/TURN on UDP and TCP (3478). */
  listeningPort: number;
  /** TURN over TLS (TCP) and DTLS (UDP), 5349. */
  tlsPort: number;
  /** The port locked-down networks let out (443), forwarded to tlsPort on the droplet. */
  publicTlsPort: number;
  /** Peer-facing relay range. */
  relayPortRange: PortRange;
}

/**
 * A TURN droplet's inbound rules: exactly the TURN listeners and the relay range, plus SSH only from the admin
 * CIDRs (no rule at all when there are none) and HTTP only while certificates come from an HTTP-01 challenge.
 */
export function turnInboundRules(
  turn: TurnPorts,
  adminSshCidrs: readonly string[],
  acmeHttpChallenge: boolean,
): InboundRule[] {
  const rules: InboundRule[] = [
    { protocol: "udp", portRange: String(turn.listeningPort), sourceAddresses: ANYWHERE },
    { protocol: "tcp", portRange: String(turn.listeningPort), sourceAddresses: ANYWHERE },
    { protocol: "tcp", portRange: String(turn.tlsPort), sourceAddresses: ANYWHERE },
    { protocol: "udp", portRange: String(turn.tlsPort), sourceAddresses: ANYWHERE },
    { protocol: "tcp", portRange: String(turn.publicTlsPort), sourceAddresses: ANYWHERE },
    { protocol: "udp", portRange: ports(turn.relayPortRange), sourceAddresses: ANYWHERE },
  ];
  if (acmeHttpChallenge) rules.push({ protocol: "tcp", portRange: "80", sourceAddresses: ANYWHERE });
  if (adminSshCidrs.length > 0)
    rules.push({ protocol: "tcp", portRange: "22", sourceAddresses: [...adminSshCidrs] });
  return rules;
}

/**
 * A droplet whose only firewall has no outbound rules can send nothing; relays must reach any public peer and
 * the droplet needs apt, Let's Encrypt and the DNS API. coturn's `denied-peer-ip` keeps relays off private ranges.
 */
export function openOutboundRules(): OutboundRule[] {
  return [
    { protocol: "tcp", portRange: "1-65535", destinationAddresses: ANYWHERE },
    { protocol: "udp", portRange: "1-65535", destinationAddresses: ANYWHERE },
    { protocol: "icmp", destinationAddresses: ANYWHERE },
  ];
}
