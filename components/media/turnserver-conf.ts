import {
  fail,
  type PortRange,
  requireHost,
  requireIpv4,
  requireNonEmpty,
  requirePort,
  requirePortRange,
  requirePositiveInteger,
  requireSecret,
} from "./input-rules.ts";

/**
 * Renders coturn's turnserver.conf for one TURN droplet. Options are coturn's (README.turnserver,
 * docs/sources.md#coturn) as accepted by Debian's coturn 4.6.1, which has no Prometheus exporter ("Unavailable
 * on apt installations") — health is measured by apps/turn-prober instead. The text carries the
 * REST shared secret, so it travels only inside secret user-data.
 */

/** Private, loopback and otherwise non-routable IPv4 ranges a relay must never reach in production. */
export const DENIED_PEER_RANGES: readonly string[] = [
  "0.0.0.0-0.255.255.255", // "this" network
  "10.0.0.0-10.255.255.255", // RFC 1918 (DigitalOcean VPCs live here)
  "100.64.0.0-100.127.255.255", // RFC 6598 carrier-grade NAT
  "127.0.0.0-127.255.255.255", // loopback
  "169.254.0.0-169.254.255.255", // link-local, incl. the droplet metadata service 169.254.169.254
  "172.16.0.0-172.31.255.255", // RFC 1918
  "192.0.0.0-192.0.0.255", // IETF protocol assignments
  "192.0.2.0-192.0.2.255", // TEST-NET-1
  "192.168.0.0-192.168.255.255", // RFC 1918
  "198.18.0.0-198.19.255.255", // benchmarking
  "198.51.100.0-198.51.100.255", // TEST-NET-2
  "203.0.113.0-203.0.113.255", // TEST-NET-3
  "240.0.0.0-255.255.255.255", // reserved + broadcast
];

export interface TurnServerConfInput {
  /** Realm announced in 401 challenges; the TURN domain by convention. */
  realm: string;
  /** coturn REST API secret shared with LiveKit and the prober (`static-auth-secret`, docs/sources.md#coturn). */
  sharedSecret: string;
  /** Addresses to listen on; empty ⇒ every interface. */
  listeningIps: string[];
  /** Address relays are opened on; omitted ⇒ coturn picks per listener. */
  relayIp?: string;
  /** Public address advertised in XOR-RELAYED-ADDRESS; `private` when the droplet sits behind 1:1 NAT. */
  externalIp?: { public: string; private?: string };
  /** STUN/TURN over UDP and TCP, 3478 by convention (docs/sources.md#coturn). */
  listeningPort: number;
  /**
   * TURN over TLS/DTLS, 5349 by convention. Clients also reach it on 443: coturn opens its "alternative" TLS
   * port only with several listening IPs (RFC 5780 mode), so the droplet forwards 443 → this port instead
   * (turn-cloud-init.ts).
   */
  tls?: { port: number; certFile: string; keyFile: string };
  /** Relay (peer-facing) UDP range; must be disjoint from LiveKit's and NodePorts (checked by port-ranges.ts). */
  relayPortRange: PortRange;
  /** `production` denies private/loopback peers; `loopback-test` allows 127.0.0.1 peers for single-host rigs. */
  peerPolicy: "production" | "loopback-test";
  /** Per-user and total allocation caps protect a droplet from a leaked credential. */
  userQuota: number;
  totalQuota: number;
  /**
   * coturn's SQLite db (unused with REST auth, but always opened), and where to log. Without `logFile` the
   * log goes to syslog, i.e. the droplet's journal; Debian's unit already overrides the pid file.
   */
  paths: { userdb: string; pidfile?: string; logFile?: string };
  /** Per-session log lines; costs disk on a busy server. */
  verbose: boolean;
}

function validate(input: TurnServerConfInput): void {
  requireHost("realm", input.realm);
  requireSecret("sharedSecret", input.sharedSecret, 16);
  input.listeningIps.forEach((ip, i) => {
    requireIpv4(`listeningIps[${i}]`, ip);
  });
  if (input.relayIp !== undefined) requireIpv4("relayIp", input.relayIp);
  if (input.externalIp !== undefined) {
    requireIpv4("externalIp.public", input.externalIp.public);
    if (input.externalIp.private !== undefined) requireIpv4("externalIp.private", input.externalIp.private);
  }
  requirePort("listeningPort", input.listeningPort);
  if (input.tls !== undefined) {
    requirePort("tls.port", input.tls.port);
    if (input.tls.port === input.listeningPort)
      fail("tls.port", "a port other than listeningPort", input.tls.port);
    if (!input.tls.certFile.startsWith("/")) fail("tls.certFile", "an absolute path", input.tls.certFile);
    if (!input.tls.keyFile.startsWith("/")) fail("tls.keyFile", "an absolute path", input.tls.keyFile);
  }
  requirePortRange("relayPortRange", input.relayPortRange);
  if (input.peerPolicy !== "production" && input.peerPolicy !== "loopback-test") {
    fail("peerPolicy", "production or loopback-test", input.peerPolicy);
  }
  requirePositiveInteger("userQuota", input.userQuota);
  requirePositiveInteger("totalQuota", input.totalQuota);
  for (const [key, path] of Object.entries(input.paths)) {
    if (path === undefined) continue;
    requireNonEmpty(`paths.${key}`, path);
    if (!path.startsWith("/")) fail(`paths.${key}`, "an absolute path", path);
  }
}

export function renderTurnServerConf(input: TurnServerConfInput): string {
  validate(input);
  const lines: string[] = ["# coturn configuration rendered by components/media/turnserver-conf.ts"];
  for (const ip of input.listeningIps) lines.push(`listening-ip=${ip}`);
  if (input.relayIp !== undefined) lines.push(`relay-ip=${input.relayIp}`);
  if (input.externalIp !== undefined) {
    const { public: pub, private: priv } = input.externalIp;
    lines.push(`external-ip=${priv === undefined ? pub : `${pub}/${priv}`}`);
  }
  lines.push(`listening-port=${input.listeningPort}`);
  if (input.tls === undefined) {
    lines.push("no-tls", "no-dtls");
  } else {
    lines.push(
      `tls-listening-port=${input.tls.port}`,
      `cert=${input.tls.certFile}`,
      `pkey=${input.tls.keyFile}`,
      "no-tlsv1",
      "no-tlsv1_1",
    );
  }
  lines.push(
    `min-port=${input.relayPortRange.start}`,
    `max-port=${input.relayPortRange.end}`,
    // REST API: password = base64(HMAC-SHA1(secret, "<expiry>:<user>")), the scheme LiveKit mints
    // (docs/sources.md#coturn).
    "use-auth-secret",
    `static-auth-secret=${input.sharedSecret}`,
    `realm=${input.realm}`,
    "fingerprint",
    `user-quota=${input.userQuota}`,
    `total-quota=${input.totalQuota}`,
    "stale-nonce=600",
    "no-cli",
    "no-software-attribute",
    "no-multicast-peers",
  );
  if (input.peerPolicy === "production") {
    for (const range of DENIED_PEER_RANGES) lines.push(`denied-peer-ip=${range}`);
  } else {
    lines.push("allow-loopback-peers");
  }
  lines.push(`userdb=${input.paths.userdb}`);
  if (input.paths.pidfile !== undefined) lines.push(`pidfile=${input.paths.pidfile}`);
  lines.push(input.paths.logFile === undefined ? "syslog" : `log-file=${input.paths.logFile}`, "simple-log");
  if (input.verbose) lines.push("verbose");
  return `${lines.join("\n")}\n`;
}
