import { stringify } from "yaml";
import {
  fail,
  requireHost,
  requireNonEmpty,
  requirePort,
  requirePositiveInteger,
  requireSecret,
} from "./input-rules.ts";

/**
 * Renders the `#cloud-config` user-data of a TURN droplet: install Debian's coturn, write the rendered
 * turnserver.conf, obtain a Let's Encrypt certificate with certbot's DNS-01 DigitalOcean plugin (works
 * before any port is reachable and for the shared name that points at every droplet), keep it renewed, and
 * raise UDP socket buffers. The text embeds the TURN secret and a DNS-scoped API token: the component must
 * pass it as secret user-data.
 *
 * TURN/TLS is also served on 443 — the port locked-down networks let through
 * (docs/sources.md#livekit-ports-and-firewall) — by an nftables redirect to coturn's TLS port: coturn's own
 * "alternative" TLS listener opens only in its multi-IP RFC 5780 mode, and Debian's unit runs as `turnserver` without
 * the capability to bind 443.
 */
export interface TurnCloudInitInput {
  hostname: string;
  /** Output of renderTurnServerConf, with its TLS paths under `certDirectory`. */
  turnServerConf: string;
  /** Names on the certificate: the droplet's own record and the shared fleet record. */
  certificateDomains: string[];
  acmeEmail: string;
  /**
   * DigitalOcean API token limited to the DNS zone, used by certbot-dns-digitalocean for DNS-01. Without one,
   * certbot answers an HTTP-01 challenge on port 80 instead, which can only prove the droplet's own name.
   */
  dnsApiToken?: string;
  /** Where the deploy hook copies the live certificate for the turnserver user. */
  certDirectory: string;
  /** net.core.{r,w}mem_max; LiveKit's 16 MiB target is a good figure for a relay too (docs/sources.md#livekit-udp-buffers). */
  udpBufferBytes: number;
  /** Seconds certbot waits for the TXT record to propagate. */
  dnsPropagationSeconds: number;
  /** TCP 443 is redirected to coturn's `tls-listening-port`. */
  tlsRedirect: { fromPort: number; toPort: number };
  /**
   * Whether operators log in over SSH (the droplet was created with SSH keys). Either way password login is
   * off and root's password is locked; without keys the SSH daemon is stopped too.
   */
  sshWithKeys: boolean;
}

export const TURN_CONF_PATH = "/etc/turnserver.conf";
const CERTBOT_CREDENTIALS = "/etc/letsencrypt/digitalocean.ini";
const TLS_REDIRECT_RULES = "/etc/gomeet/turn-tls-redirect.nft";
const DEPLOY_HOOK = "/etc/letsencrypt/renewal-hooks/deploy/50-coturn.sh";
const SSHD_DROP_IN = "/etc/ssh/sshd_config.d/10-gomeet.conf";

/**
 * A droplet created without SSH keys gets a root password by e-mail (DigitalOcean, "How to Create Droplets",
 * https://docs.digitalocean.com/products/droplets/how-to/create/): keys only, and the password locked.
 */
function sshHardening(sshWithKeys: boolean): { files: Record<string, unknown>[]; commands: string[][] } {
  return {
    files: [
      {
        path: SSHD_DROP_IN,
        permissions: "0644",
        content: [
          "PasswordAuthentication no",
          "KbdInteractiveAuthentication no",
          "PermitRootLogin prohibit-password",
          "",
        ].join("\n"),
      },
    ],
    commands: [
      ["passwd", "--lock", "root"],
      sshWithKeys ? ["systemctl", "reload", "ssh"] : ["systemctl", "disable", "--now", "ssh"],
    ],
  };
}

function validate(input: TurnCloudInitInput): void {
  requireHost("hostname", input.hostname);
  requireNonEmpty("turnServerConf", input.turnServerConf);
  if (input.certificateDomains.length === 0)
    fail("certificateDomains", "at least one DNS name", input.certificateDomains);
  input.certificateDomains.forEach((d, i) => {
    requireHost(`certificateDomains[${i}]`, d);
  });
  if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(input.acmeEmail))
    fail("acmeEmail", "an e-mail address", input.acmeEmail);
  if (input.dnsApiToken !== undefined) requireSecret("dnsApiToken", input.dnsApiToken, 16);
  else if (input.certificateDomains.length !== 1) {
    // Let's Encrypt validates HTTP-01 against one of a name's addresses; a name shared by several droplets
    // would fail whenever it picks another droplet.
    fail(
      "certificateDomains",
      "exactly the droplet's own name when no dnsApiToken is given (HTTP-01 cannot prove a shared name)",
      input.certificateDomains,
    );
  }
  if (!/^\/[A-Za-z0-9/_.-]+$/.test(input.certDirectory))
    fail("certDirectory", "an absolute path", input.certDirectory);
  requirePositiveInteger("udpBufferBytes", input.udpBufferBytes);
  requirePositiveInteger("dnsPropagationSeconds", input.dnsPropagationSeconds);
  requirePort("tlsRedirect.fromPort", input.tlsRedirect.fromPort);
  requirePort("tlsRedirect.toPort", input.tlsRedirect.toPort);
  if (!input.turnServerConf.includes(`\ntls-listening-port=${input.tlsRedirect.toPort}\n`)) {
    fail("tlsRedirect.toPort", "the tls-listening-port of turnServerConf", input.tlsRedirect.toPort);
  }
  const certFile = `cert=${input.certDirectory}/fullchain.pem`;
  if (input.turnServerConf.includes("tls-listening-port=") && !input.turnServerConf.includes(certFile)) {
    fail(
      "turnServerConf",
      `a TLS config whose certificate is ${input.certDirectory}/fullchain.pem`,
      "other cert path",
    );
  }
}

function tlsRedirectRules(redirect: { fromPort: number; toPort: number }): string {
  // A table of our own, so the distribution's ruleset (if any) is untouched; flushed first to stay idempotent.
  return [
    "table inet gomeet_turn",
    "delete table inet gomeet_turn",
    "table inet gomeet_turn {",
    "  chain prerouting {",
    "    type nat hook prerouting priority dstnat; policy accept;",
    `    tcp dport ${redirect.fromPort} redirect to :${redirect.toPort}`,
    "  }",
    "}",
    "",
  ].join("\n");
}

function deployHook(certDirectory: string): string {
  // certbot runs deploy hooks after every successful issue or renewal with RENEWED_LINEAGE set. coturn
  // re-reads its certificate on SIGUSR2 ("Reloading TLS certificates and keys" in the 4.6.1 binary), so a
  // renewal does not drop live relays.
  return [
    "#!/bin/sh",
    "set -eu",
    `install -d -m 0750 -o root -g turnserver ${certDirectory}`,
    `install -m 0644 -o root -g turnserver "$RENEWED_LINEAGE/fullchain.pem" ${certDirectory}/fullchain.pem`,
    `install -m 0640 -o root -g turnserver "$RENEWED_LINEAGE/privkey.pem" ${certDirectory}/privkey.pem`,
    "if systemctl is-active --quiet coturn; then systemctl kill --signal=SIGUSR2 coturn; fi",
    "",
  ].join("\n");
}

function dns01Certbot(input: TurnCloudInitInput): string[] {
  return [
    "certbot",
    "certonly",
    "--non-interactive",
    "--agree-tos",
    "--email",
    input.acmeEmail,
    "--dns-digitalocean",
    "--dns-digitalocean-credentials",
    CERTBOT_CREDENTIALS,
    "--dns-digitalocean-propagation-seconds",
    String(input.dnsPropagationSeconds),
    "--cert-name",
    "turn",
    ...input.certificateDomains.flatMap((d) => ["-d", d]),
  ];
}

/**
 * HTTP-01 needs the droplet's name to resolve to an address that reaches it, which may lag the first boot (the
 * reserved IP is assigned and the record created after the droplet): retry for up to 20 minutes. Renewals use
 * the same standalone authenticator from certbot's timer.
 */
function http01Certbot(input: TurnCloudInitInput): string[] {
  const issue = [
    "certbot certonly --non-interactive --agree-tos",
    `--email ${input.acmeEmail}`,
    "--standalone --preferred-challenges http",
    "--cert-name turn",
    ...input.certificateDomains.map((d) => `-d ${d}`),
  ].join(" ");
  return ["sh", "-c", `for attempt in $(seq 1 40); do ${issue} && exit 0; sleep 30; done; exit 1`];
}

export function renderTurnCloudInit(input: TurnCloudInitInput): string {
  validate(input);
  const certbot = input.dnsApiToken === undefined ? http01Certbot(input) : dns01Certbot(input);
  const ssh = sshHardening(input.sshWithKeys);
  const config = {
    hostname: input.hostname,
    // cloud-init's cc_set_passwords: password authentication off in sshd (cloud-init module reference).
    ssh_pwauth: false,
    package_update: true,
    package_upgrade: true,
    packages: ["coturn", "certbot", "python3-certbot-dns-digitalocean", "nftables"],
    write_files: [
      ...ssh.files,
      {
        path: "/etc/sysctl.d/60-gomeet-turn.conf",
        permissions: "0644",
        content: [
          `net.core.rmem_max = ${input.udpBufferBytes}`,
          `net.core.wmem_max = ${input.udpBufferBytes}`,
          `net.core.rmem_default = ${input.udpBufferBytes}`,
          `net.core.wmem_default = ${input.udpBufferBytes}`,
          "net.core.netdev_max_backlog = 250000",
          "",
        ].join("\n"),
      },
      { path: TLS_REDIRECT_RULES, permissions: "0644", content: tlsRedirectRules(input.tlsRedirect) },
      {
        // Reapplies the redirect on every boot, before coturn starts.
        path: "/etc/systemd/system/gomeet-turn-tls-redirect.service",
        permissions: "0644",
        content: [
          "[Unit]",
          "Description=Redirect TCP 443 to coturn's TLS listener",
          "Before=coturn.service",
          "After=network-pre.target",
          "",
          "[Service]",
          "Type=oneshot",
          "RemainAfterExit=yes",
          `ExecStart=/usr/sbin/nft -f ${TLS_REDIRECT_RULES}`,
          "",
          "[Install]",
          "WantedBy=multi-user.target",
          "",
        ].join("\n"),
      },
      {
        path: "/etc/default/coturn",
        permissions: "0644",
        content: "TURNSERVER_ENABLED=1\n",
      },
      {
        path: "/etc/systemd/system/coturn.service.d/10-gomeet.conf",
        permissions: "0644",
        content: ["[Service]", "LimitNOFILE=1048576", "Restart=always", "RestartSec=2", ""].join("\n"),
      },
      ...(input.dnsApiToken === undefined
        ? []
        : [
            {
              path: CERTBOT_CREDENTIALS,
              permissions: "0600",
              content: `dns_digitalocean_token = ${input.dnsApiToken}\n`,
            },
          ]),
      { path: DEPLOY_HOOK, permissions: "0755", content: deployHook(input.certDirectory) },
      {
        // Written after the coturn package created the turnserver group (`defer`), readable only by it.
        path: TURN_CONF_PATH,
        permissions: "0640",
        owner: "root:turnserver",
        content: input.turnServerConf,
        defer: true,
      },
    ],
    runcmd: [
      ...ssh.commands,
      ["sysctl", "--system"],
      // The first issue runs the deploy hook, so the certificate is in place before coturn starts; the
      // certbot package's systemd timer renews from then on and reruns the hook.
      certbot,
      ["systemctl", "daemon-reload"],
      ["systemctl", "enable", "--now", "gomeet-turn-tls-redirect.service"],
      ["systemctl", "enable", "coturn"],
      ["systemctl", "restart", "coturn"],
    ],
  };
  return `#cloud-config\n${stringify(config, { lineWidth: 0 })}`;
}
