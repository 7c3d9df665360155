import { parse, stringify } from "yaml";
import { fail, requireIpv4 } from "./input-rules.ts";

/**
 * Makes a TURN droplet announce and send from its reserved IP. Traffic to a DigitalOcean reserved IP arrives on
 * the droplet's anchor address (aliased on eth0), and only packets leaving through the anchor gateway appear to
 * come from the reserved IP (DigitalOcean docs, "How to Find Information on Droplet Anchor IPs": "You should bind
 * any public services that you want to make highly available through a Floating IP to the anchor IP"). The anchor
 * is only known on the droplet — from the metadata service (/metadata/v1/interfaces/public/0/anchor_ipv4/
 * {address,gateway}, DigitalOcean Metadata API "Network Interfaces") — so a boot-time unit, ordered before coturn:
 *
 * - policy-routes everything sourced from the anchor address through the anchor gateway;
 * - binds relays to the anchor (`relay-ip`) and maps it to the reserved IP (`external-ip=<reserved>/<anchor>`),
 *   so XOR-RELAYED-ADDRESS is the reserved IP — the address that survives a droplet replacement.
 */

export const ANCHOR_SCRIPT_PATH = "/usr/local/sbin/gomeet-turn-anchor";
const ANCHOR_UNIT = "gomeet-turn-anchor.service";
const METADATA = "http://169.254.169.254/metadata/v1/interfaces/public/0/anchor_ipv4";
/** A routing table of our own for anchor-sourced traffic. */
const ANCHOR_TABLE = 200;

export function anchorScript(reservedIp: string, turnConfPath: string): string {
  requireIpv4("reservedIp", reservedIp);
  return [
    "#!/bin/sh",
    "set -eu",
    `anchor=$(curl -fsS --retry 10 --retry-delay 3 ${METADATA}/address)`,
    `gateway=$(curl -fsS --retry 10 --retry-delay 3 ${METADATA}/gateway)`,
    // Idempotent across reboots: drop our rule before adding it again.
    `while ip rule del table ${ANCHOR_TABLE} 2>/dev/null; do :; done`,
    `ip rule add from "$anchor" table ${ANCHOR_TABLE} priority ${ANCHOR_TABLE}`,
    `ip route replace default via "$gateway" dev eth0 table ${ANCHOR_TABLE}`,
    `sed -i -e '/^external-ip=/d' -e '/^relay-ip=/d' ${turnConfPath}`,
    `printf 'relay-ip=%s\\nexternal-ip=%s/%s\\n' "$anchor" ${reservedIp} "$anchor" >> ${turnConfPath}`,
    "",
  ].join("\n");
}

function anchorUnit(): string {
  return [
    "[Unit]",
    "Description=Route coturn through the droplet's reserved IP (anchor address)",
    "Wants=network-online.target",
    "After=network-online.target",
    "Before=coturn.service",
    "",
    "[Service]",
    "Type=oneshot",
    "RemainAfterExit=yes",
    `ExecStart=${ANCHOR_SCRIPT_PATH}`,
    "",
    "[Install]",
    "WantedBy=multi-user.target",
    "",
  ].join("\n");
}

type CloudConfig = {
  packages?: string[];
  write_files?: Record<string, unknown>[];
  runcmd?: (string | string[])[];
};

/**
 * Adds the anchor unit to a TURN droplet's cloud-config (renderTurnCloudInit's output): the unit is enabled
 * and run after turnserver.conf is written and before coturn is (re)started.
 */
export function withReservedIpAnchor(cloudInit: string, reservedIp: string, turnConfPath: string): string {
  const header = "#cloud-config\n";
  if (!cloudInit.startsWith(header)) fail("cloudInit", "a #cloud-config document", cloudInit.slice(0, 20));
  const config = parse(cloudInit.slice(header.length)) as CloudConfig;
  const runcmd = config.runcmd ?? [];
  const coturnStart = runcmd.findIndex((c) => Array.isArray(c) && c.join(" ") === "systemctl enable coturn");
  if (coturnStart < 0) fail("cloudInit.runcmd", "a `systemctl enable coturn` step", runcmd);
  config.packages = [...new Set([...(config.packages ?? []), "curl", "iproute2"])];
  config.write_files = [
    ...(config.write_files ?? []),
    { path: ANCHOR_SCRIPT_PATH, permissions: "0755", content: anchorScript(reservedIp, turnConfPath) },
    { path: `/etc/systemd/system/${ANCHOR_UNIT}`, permissions: "0644", content: anchorUnit() },
  ];
  config.runcmd = [
    ...runcmd.slice(0, coturnStart),
    ["systemctl", "enable", "--now", ANCHOR_UNIT],
    ...runcmd.slice(coturnStart),
  ];
  return `${header}${stringify(config, { lineWidth: 0 })}`;
}
