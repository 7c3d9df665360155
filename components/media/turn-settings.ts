import type { DropletSize } from "../../catalogue/droplet-sizes.ts";
import type { PlatformConfig } from "../../stacks/schema.ts";
import type { LiveKitTurnServer } from "./livekit-config.ts";
import { UDP_BUFFER_BYTES } from "./livekit-workload.ts";
import { MEDIA_PORTS } from "./platform-ports.ts";
import type { TurnCloudInitInput } from "./turn-cloud-init.ts";
import type { TurnServerConfInput } from "./turnserver-conf.ts";

/** Where certbot's deploy hook leaves the certificate for the turnserver user. */
export const TURN_CERT_DIRECTORY = "/etc/coturn/tls";

/** Debian 12 ships coturn 4.6.1 (https://packages.debian.org/bookworm/coturn), the build the real-binary tests run. */
export const TURN_DROPLET_IMAGE = "debian-12-x64";

export function turnRecordName(index: number): string {
  return `turn-${index + 1}`;
}

/** The shared name (one A record per droplet): the realm and the DNS-01 certificate name; clients get every droplet's own name. */
export const TURN_SHARED_RECORD = "turn";

/**
 * coturn's config for one droplet of the stack. No `external-ip`/`relay-ip` here: the reserved IP's anchor
 * address is only known on the droplet, where turn-reserved-ip.ts adds both at boot.
 */
/** The stack settings a TURN droplet's files are rendered from. */
export interface TurnStackSettings {
  domain: string;
  turn: PlatformConfig["turn"];
  /** `monitoring.alertEmails`: the first is the ACME account's address. */
  alertEmails: readonly string[];
}

export function turnServerConfInput(
  config: TurnStackSettings,
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
  config: TurnStackSettings,
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
    acmeEmail: config.alertEmails[0] ?? `hostmaster@${config.domain}`,
    ...(dnsApiToken === undefined ? {} : { dnsApiToken }),
    certDirectory: TURN_CERT_DIRECTORY,
    udpBufferBytes: UDP_BUFFER_BYTES,
    sshWithKeys: config.turn.sshKeys.length > 0,
    dnsPropagationSeconds: 60,
    tlsRedirect: { fromPort: MEDIA_PORTS.turnPublicTls, toPort: MEDIA_PORTS.turnTls },
  };
}

/**
 * What LiveKit hands clients in the join response's ICE servers (LiveKit config `rtc.turn_servers`,
 * https://docs.livekit.io/home/self-hosting/deployment/#improving-connectivity-with-turn): every droplet by its own
 * name, TURN/UDP on 3478 and TURN/TLS on 443 (each droplet's certificate always covers its own name). Not the
 * shared round-robin name: a browser resolves one address per ICE server URL, so with one dead droplet behind
 * `turn.<domain>` a share of relay-only clients would get no relay candidate until the record changed. With
 * every host listed, ICE gathers a relay candidate from each live droplet and a dead one costs nothing.
 */
export function liveKitTurnServers(domain: string, count: number): LiveKitTurnServer[] {
  const hosts = Array.from({ length: count }, (_, i) => `${turnRecordName(i)}.${domain}`);
  return [
    ...hosts.map((host) => ({ host, port: MEDIA_PORTS.turnListening, protocol: "udp" as const })),
    ...hosts.map((host) => ({ host, port: MEDIA_PORTS.turnPublicTls, protocol: "tls" as const })),
  ];
}

/**
 * DigitalOcean Monitoring thresholds for a TURN droplet: sustained CPU above the capacity model's 80 % cap, and
 * public outbound traffic above 80 % of the size's NIC cap (docs/sources.md#droplet-limits), in Mbps as the
 * `public_outbound_bandwidth` alert measures it.
 */
export function turnAlertThresholds(size: DropletSize): { cpuPercent: number; outboundMbps: number } {
  return { cpuPercent: 80, outboundMbps: Math.round(size.network_cap_gbps * 1000 * 0.8) };
}
