import type { DropletSize } from "../../infra/capacity/droplet-sizes.ts";
import type { PlatformConfig } from "../../stacks/schema.ts";
import type { LiveKitTurnServer } from "./livekit-config.ts";
import { UDP_BUFFER_BYTES } from "./livekit-workload.ts";
import { MEDIA_PORTS } from "./platform-ports.ts";
import type { TurnCloudInitInput } from "./turn-cloud-init.ts";
import type { TurnServerConfInput } from "./turnserver-conf.ts";

/** Where certbot's deploy hook leaves the certificate for the turnserver user. */
export const TURN_CERT_DIRECTORY = "/etc/coturn/tls";

/** Debian 12 ships coturn 4.6.1, the build the real-binary tests run (../shared/reference/tools.md §1). */
export const TURN_DROPLET_IMAGE = "debian-12-x64";

export function turnRecordName(index: number): string {
  return `turn-${index + 1}`;
}

/** The shared record clients and LiveKit use; it carries one A record per droplet. */
export const TURN_SHARED_RECORD = "turn";

/**
 * coturn's config for one droplet of the stack. No `external-ip`/`relay-ip` here: the reserved IP's anchor
 * address is only known on the droplet, where turn-reserved-ip.ts adds both at boot.
 */
export function turnServerConfInput(
  config: PlatformConfig,
  size: DropletSize,
  sharedSecret: string,
): TurnServerConfInput {
  return {
    realm: `${TURN_SHARED_RECORD}.${config.domain}`,
    sharedSecret,
    listeningIps: [],
    listeningPort: MEDIA_PORTS.turnListening,
    tls: {
      port: MEDIA_PORTS.turnTls,
      certFile: `${TURN_CERT_DIRECTORY}/fullchain.pem`,
      keyFile: `${TURN_CERT_DIRECTORY}/privkey.pem`,
    },
    relayPortRange: { start: config.turn.relayPorts.min, end: config.turn.relayPorts.max },
    peerPolicy: "production",
    // Caps that stop one leaked credential from exhausting a droplet: a participant needs a handful of
    // allocations, and 2,000 per vCPU stays far above what a droplet can relay.
    userQuota: 12,
    totalQuota: 2_000 * size.vcpus,
    paths: { userdb: "/var/lib/turn/turndb" },
    verbose: false,
  };
}

export function turnCloudInitInput(
  config: PlatformConfig,
  index: number,
  hostname: string,
  turnServerConf: string,
  dnsApiToken: string | undefined,
): TurnCloudInitInput {
  const own = `${turnRecordName(index)}.${config.domain}`;
  return {
    hostname,
    turnServerConf,
    // DNS-01 can prove the shared name too; HTTP-01 only the droplet's own (turn-cloud-init.ts).
    certificateDomains: dnsApiToken === undefined ? [own] : [own, `${TURN_SHARED_RECORD}.${config.domain}`],
    acmeEmail: config.monitoring.alertEmails[0] ?? `hostmaster@${config.domain}`,
    ...(dnsApiToken === undefined ? {} : { dnsApiToken }),
    certDirectory: TURN_CERT_DIRECTORY,
    udpBufferBytes: UDP_BUFFER_BYTES,
    dnsPropagationSeconds: 60,
    tlsRedirect: { fromPort: MEDIA_PORTS.turnPublicTls, toPort: MEDIA_PORTS.turnTls },
  };
}

/**
 * What LiveKit hands clients (../shared/reference/livekit.md §1.2 `turn_servers`): TURN/UDP on the shared name,
 * and TURN/TLS on 443 under a name the droplets' certificates cover — the shared name with DNS-01
 * certificates, otherwise each droplet's own name.
 */
export function liveKitTurnServers(
  domain: string,
  count: number,
  sharedNameCertified: boolean,
): LiveKitTurnServer[] {
  const tls: LiveKitTurnServer[] = sharedNameCertified
    ? [{ host: `${TURN_SHARED_RECORD}.${domain}`, port: MEDIA_PORTS.turnPublicTls, protocol: "tls" }]
    : Array.from({ length: count }, (_, i) => ({
        host: `${turnRecordName(i)}.${domain}`,
        port: MEDIA_PORTS.turnPublicTls,
        protocol: "tls" as const,
      }));
  return [
    ...tls,
    { host: `${TURN_SHARED_RECORD}.${domain}`, port: MEDIA_PORTS.turnListening, protocol: "udp" },
  ];
}

/**
 * DigitalOcean Monitoring thresholds for a TURN droplet: sustained CPU above the capacity model's 80 % cap, and
 * public outbound traffic above 80 % of the size's NIC cap (digitalocean.md §1.2), in Mbps as the
 * `public_outbound_bandwidth` alert measures it.
 */
export function turnAlertThresholds(size: DropletSize): { cpuPercent: number; outboundMbps: number } {
  return { cpuPercent: 80, outboundMbps: Math.round(size.network_cap_gbps * 1000 * 0.8) };
}
