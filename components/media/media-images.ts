/**
 * Pinned images of the media layer. LiveKit matches the v1.13.5 binary the real-binary tests run (test/media/;
 * official image `livekit/livekit-server`, https://hub.docker.com/r/livekit/livekit-server — v1.13.6 and later
 * cannot be built from the Go module proxy, docs/media.md "livekit-server version"); egress is
 * `livekit/egress` v1.14.1 (https://hub.docker.com/r/livekit/egress). Never `latest`: a media node restart ends meetings.
 */
export const LIVEKIT_IMAGE = "livekit/livekit-server:v1.13.5";
export const EGRESS_IMAGE = "livekit/egress:v1.14.1";
/** Only runs `sysctl` in a privileged init container on media nodes. */
export const SYSCTL_IMAGE = "busybox:1.36.1";

/** The TURN prober is one of GoMeet's own images, tagged like the services. */
export function turnProberImage(registryEndpoint: string, imageTag: string): string {
  return `${registryEndpoint}/turn-prober:${imageTag}`;
}
