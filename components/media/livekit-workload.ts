/**
 * How long Kubernetes waits after SIGTERM before killing a LiveKit pod: the Helm chart's 5 h, "ensuring Kubernetes
 * gives sufficient time for the pod to gracefully shut down" — a draining node keeps its rooms until the last
 * participant leaves (docs/sources.md#livekit-helm-chart, docs/sources.md#livekit-distributed-setup).
 */
export const LIVEKIT_DRAIN_SECONDS = 18_000;

/** LiveKit's requested socket buffer (mediatransportutil defaultUDPBufferSize, docs/sources.md#livekit-udp-buffers). */
export const UDP_BUFFER_BYTES = 16_777_216;

interface Probe {
  httpGet?: { path: string; port: string };
  tcpSocket?: { port: string };
  initialDelaySeconds?: number;
  periodSeconds: number;
  timeoutSeconds: number;
  failureThreshold: number;
}

/**
 * Readiness on `/`, which answers 406 once the node's stats are > 4 s old, so a saturated node stops receiving
 * new signalling. Liveness only checks that the port accepts connections, and tolerates two minutes of failure:
 * the chart probes liveness on `/` too, which lets kubelet kill a CPU-starved node with every meeting on it
 * (docs/sources.md#livekit-helm-chart).
 */
export function liveKitProbes(): { readiness: Probe; liveness: Probe } {
  return {
    readiness: {
      httpGet: { path: "/", port: "http" },
      periodSeconds: 5,
      timeoutSeconds: 2,
      failureThreshold: 2,
    },
    liveness: {
      tcpSocket: { port: "http" },
      initialDelaySeconds: 10,
      periodSeconds: 20,
      timeoutSeconds: 5,
      failureThreshold: 6,
    },
  };
}
