import type { LiveKitConfigInput } from "./livekit-config.ts";
import type { TurnServerConfInput } from "./turnserver-conf.ts";

/**
 * Every port range the platform opens, checked for overlap. LiveKit runs with hostNetwork on the media
 * nodes, so its ports share one namespace with Kubernetes NodePorts; coturn's relay range must not collide
 * with LiveKit's either (coturn's default relay range 49152–65535 overlaps LiveKit's 50000–60000:
 * docs/sources.md#coturn, docs/sources.md#livekit-server-configuration).
 */
export type PortProtocol = "udp" | "tcp";

export interface NamedPortRange {
  /** What the range is, e.g. "livekit.rtc.udpPortRange". */
  name: string;
  protocols: readonly PortProtocol[];
  start: number;
  end: number;
}

/** Kubernetes' default Service NodePort range, opened by DOKS' managed firewall (docs/sources.md#doks-managed-firewalls). */
export const KUBERNETES_NODE_PORTS: NamedPortRange = {
  name: "kubernetes.nodePorts",
  protocols: ["tcp", "udp"],
  start: 30_000,
  end: 32_767,
};

export class PortRangeOverlapError extends Error {
  override readonly name = "PortRangeOverlapError";
}

function describe(range: NamedPortRange): string {
  const ports = range.start === range.end ? `${range.start}` : `${range.start}–${range.end}`;
  return `"${range.name}" (${range.protocols.join("+")} ${ports})`;
}

/** Throws on the first pair of ranges that share a protocol and at least one port, naming both. */
export function assertDisjointPortRanges(ranges: readonly NamedPortRange[]): void {
  for (const range of ranges) {
    if (
      !Number.isInteger(range.start) ||
      !Number.isInteger(range.end) ||
      range.start < 1 ||
      range.end > 65_535
    ) {
      throw new PortRangeOverlapError(`${describe(range)}: expected ports in 1–65535`);
    }
    if (range.start > range.end) throw new PortRangeOverlapError(`${describe(range)}: expected start ≤ end`);
  }
  for (let i = 0; i < ranges.length; i++) {
    for (let j = i + 1; j < ranges.length; j++) {
      const a = ranges[i];
      const b = ranges[j];
      if (a === undefined || b === undefined) continue;
      const shared = a.protocols.filter((p) => b.protocols.includes(p));
      if (shared.length === 0) continue;
      const from = Math.max(a.start, b.start);
      const to = Math.min(a.end, b.end);
      if (from <= to) {
        const overlap = from === to ? `${from}` : `${from}–${to}`;
        throw new PortRangeOverlapError(
          `port ranges overlap: ${describe(a)} and ${describe(b)} share ${shared.join("+")} ${overlap}`,
        );
      }
    }
  }
}

/** Additional fixed service ports that listen on media hosts (e.g. node-exporter, the prober). */
export interface ServicePort {
  name: string;
  protocol: PortProtocol;
  port: number;
}

/** The platform's port map, derived from the same inputs the renderers use. */
export function mediaPortRanges(
  livekit: LiveKitConfigInput,
  turn: TurnServerConfInput,
  publicTlsPort: number | undefined,
  servicePorts: readonly ServicePort[] = [],
): NamedPortRange[] {
  const single = (name: string, protocols: PortProtocol[], port: number): NamedPortRange => ({
    name,
    protocols,
    start: port,
    end: port,
  });
  const ranges: NamedPortRange[] = [
    { name: "livekit.rtc.udpPortRange", protocols: ["udp"], ...livekit.rtc.udpPortRange },
    single("livekit.rtc.tcpPort", ["tcp"], livekit.rtc.tcpPort),
    single("livekit.httpPort", ["tcp"], livekit.httpPort),
    single("livekit.prometheusPort", ["tcp"], livekit.prometheusPort),
    single("turn.listeningPort", ["udp", "tcp"], turn.listeningPort),
    { name: "turn.relayPortRange", protocols: ["udp"], ...turn.relayPortRange },
    KUBERNETES_NODE_PORTS,
  ];
  if (turn.tls !== undefined) {
    // TLS over TCP and DTLS over UDP share each TLS port.
    ranges.push(single("turn.tls.port", ["tcp", "udp"], turn.tls.port));
  }
  if (publicTlsPort !== undefined) {
    // The droplet forwards this TCP port to turn.tls.port (turn-cloud-init.ts).
    ranges.push(single("turn.publicTlsPort", ["tcp"], publicTlsPort));
  }
  for (const service of servicePorts) ranges.push(single(service.name, [service.protocol], service.port));
  return ranges;
}
