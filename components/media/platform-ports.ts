import type { PlatformConfig } from "../../stacks/schema.ts";
import { PLATFORM_PORTS } from "../baseline/platform-ports.ts";
import {
  assertDisjointPortRanges,
  KUBERNETES_NODE_PORTS,
  type NamedPortRange,
  PortRangeOverlapError,
} from "./port-ranges.ts";

/**
 * The fixed ports of the media layer. LiveKit's are its documented defaults
 * (docs/sources.md#livekit-server-configuration); coturn's are the TURN conventions 3478/5349 plus 443 for
 * locked-down networks (docs/sources.md#livekit-ports-and-firewall, docs/sources.md#coturn). Everything configurable
 * comes from stack config.
 */
export const MEDIA_PORTS = {
  livekitHttp: PLATFORM_PORTS.livekitHttp,
  livekitPrometheus: PLATFORM_PORTS.livekitMetrics,
  turnListening: 3478,
  turnTls: 5349,
  turnPublicTls: 443,
  egressHealth: 8080,
  egressPrometheus: PLATFORM_PORTS.egressMetrics,
  proberMetrics: 9102,
} as const;

/** Ports other software holds on every node, which LiveKit's hostNetwork pods must not collide with. */
const NODE_HOST_PORTS: NamedPortRange[] = [
  // kubelet's API (Kubernetes default), reached by the control plane and metrics scraping.
  { name: "kubelet", protocols: ["tcp"], start: 10_250, end: 10_250 },
  // node-exporter binds the host network in kube-prometheus-stack.
  { name: "node-exporter", protocols: ["tcp"], start: 9_100, end: 9_100 },
];

/** A port range a stack can set, with its path in the platform config. */
interface SettableRange {
  path: string[];
  range: NamedPortRange;
}

function settableRanges(config: PlatformConfig): SettableRange[] {
  const { media, turn } = config;
  return [
    {
      path: ["turn", "relayPorts"],
      range: {
        name: "turn.relayPorts",
        protocols: ["udp"],
        start: turn.relayPorts.min,
        end: turn.relayPorts.max,
      },
    },
    {
      path: ["media", "rtcUdpPorts"],
      range: {
        name: "media.rtcUdpPorts",
        protocols: ["udp"],
        start: media.rtcUdpPorts.min,
        end: media.rtcUdpPorts.max,
      },
    },
    {
      path: ["media", "rtcTcpPort"],
      range: { name: "media.rtcTcpPort", protocols: ["tcp"], start: media.rtcTcpPort, end: media.rtcTcpPort },
    },
  ];
}

function single(name: string, protocols: NamedPortRange["protocols"], port: number): NamedPortRange {
  return { name, protocols, start: port, end: port };
}

/** Every fixed port the platform's media hosts and TURN droplets hold. */
export function fixedPlatformPorts(): NamedPortRange[] {
  return [
    single("livekit.httpPort", ["tcp"], MEDIA_PORTS.livekitHttp),
    single("livekit.prometheusPort", ["tcp"], MEDIA_PORTS.livekitPrometheus),
    single("turn.listeningPort", ["udp", "tcp"], MEDIA_PORTS.turnListening),
    single("turn.tls.port", ["tcp", "udp"], MEDIA_PORTS.turnTls),
    single("turn.publicTlsPort", ["tcp"], MEDIA_PORTS.turnPublicTls),
    single("ssh", ["tcp"], 22),
    single("acme.http01", ["tcp"], 80),
    KUBERNETES_NODE_PORTS,
    ...NODE_HOST_PORTS,
  ];
}

/** The whole port map of a stack: what assertDisjointPortRanges checks. */
export function platformPortRanges(config: PlatformConfig): NamedPortRange[] {
  return [...settableRanges(config).map((s) => s.range), ...fixedPlatformPorts()];
}

export interface PortRangeProblem {
  path: string[];
  expected: string;
}

/**
 * Runs the disjointness check of port-ranges.ts over the stack's port map and reports each clash against the
 * setting a user would change (the first settable range of the pair), for stacks/rules.ts.
 */
export function platformPortRangeProblems(config: PlatformConfig): PortRangeProblem[] {
  const settable = settableRanges(config);
  const fixed = fixedPlatformPorts();
  const problems: PortRangeProblem[] = [];
  settable.forEach((own, i) => {
    const others = [...settable.slice(i + 1).map((s) => s.range), ...fixed];
    for (const other of others) {
      try {
        assertDisjointPortRanges([own.range, other]);
      } catch (error) {
        if (!(error instanceof PortRangeOverlapError)) throw error;
        problems.push({
          path: own.path,
          expected: `expected ports disjoint from the rest of the platform (${error.message})`,
        });
        return;
      }
    }
  });
  return problems;
}
