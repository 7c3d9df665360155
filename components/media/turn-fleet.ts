import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { dropletSize } from "../../catalogue/droplet-sizes.ts";
import type { DnsZone } from "../edge/dns.ts";
import { areaTags, resourceName, type StackIdentity } from "../naming.ts";
import { failAs } from "../resource-error.ts";
import { openOutboundRules, turnInboundRules } from "./firewall-rules.ts";
import type { LiveKitTurnServer } from "./livekit-config.ts";
import { MEDIA_PORTS } from "./platform-ports.ts";
import { renderTurnCloudInit, TURN_CONF_PATH } from "./turn-cloud-init.ts";
import { withReservedIpAnchor } from "./turn-reserved-ip.ts";
import {
  liveKitTurnServers,
  TURN_DROPLET_IMAGE,
  TURN_SHARED_RECORD,
  type TurnStackSettings,
  turnAlertThresholds,
  turnCloudInitInput,
  turnRecordName,
  turnServerConfInput,
} from "./turn-settings.ts";
import { renderTurnServerConf } from "./turnserver-conf.ts";

export interface TurnFleetArgs extends TurnStackSettings {
  identity: StackIdentity;
  region: string;
  /** Whether the droplets' reserved IPs are protected from deletion (`protect` in the stack config). */
  protect: boolean;
  vpcId: pulumi.Input<string>;
  dns: DnsZone;
  /** DNS-scoped DigitalOcean token for DNS-01 certificates; without it each droplet proves its own name over HTTP-01. */
  dnsApiToken?: pulumi.Input<string>;
}

/**
 * The coturn fleet: Debian droplets in the VPC, each behind a reserved IP with its own DNS record,
 * one shared record over all of them, a firewall opening exactly the TURN and relay ports, and DigitalOcean
 * Monitoring alerts. A replaced droplet (user-data changes force replacement, docs/sources.md#pulumi-digitalocean-provider)
 * gets the same reserved IP back, so DNS, LiveKit's config and clients' cached addresses stay valid.
 */
export class TurnFleet extends pulumi.ComponentResource {
  /** The coturn REST secret shared with LiveKit and the prober. */
  readonly sharedSecret: pulumi.Output<string>;
  readonly reservedIps: pulumi.Output<string>[];
  readonly dropletIds: pulumi.Output<string>[];
  /** For the DigitalOcean project. */
  readonly projectResources: pulumi.Output<string>[];
  /** `ip:3478` per droplet, for LiveKit's STUN discovery and the prober. */
  readonly stunServers: pulumi.Output<string[]>;
  readonly liveKitTurnServers: LiveKitTurnServer[];

  constructor(name: string, args: TurnFleetArgs, opts?: pulumi.ComponentResourceOptions) {
    super("gomeet:media:TurnFleet", name, {}, opts);
    const { identity, turn } = args;
    const size = dropletSize(turn.size);
    const child = { parent: this };

    // coturn's static-auth-secret: the REST scheme's HMAC key (docs/sources.md#coturn).
    const secret = new random.RandomPassword(`${name}-shared-secret`, { length: 48, special: false }, child);
    this.sharedSecret = pulumi.secret(secret.result);

    // A Cloud Firewall lists at most 10 droplets by id (docs/sources.md#cloud-firewalls); ids select
    // exactly this stack's fleet, where a tag shared by name across stacks would not.
    if (turn.count > 10) {
      throw new pulumi.ResourceError(
        `turn.count: expected at most 10 droplets (one Cloud Firewall by id), got ${turn.count}`,
        this,
      );
    }
    const dnsApiToken = args.dnsApiToken === undefined ? undefined : pulumi.output(args.dnsApiToken);

    this.reservedIps = [];
    this.dropletIds = [];
    this.projectResources = [];
    for (let index = 0; index < turn.count; index++) {
      const n = index + 1;
      const hostname = resourceName(identity, `turn-${n}`);
      // Created apart from the droplet and protected like the stack's data: the address outlives droplets.
      const reservedIp = new digitalocean.ReservedIp(
        `${name}-${n}-ip`,
        { region: args.region },
        { parent: this, protect: args.protect },
      );
      const userData = pulumi.secret(
        pulumi.all([secret.result, reservedIp.ipAddress, dnsApiToken]).apply(([sharedSecret, ip, token]) =>
          failAs(this, () => {
            const conf = renderTurnServerConf(turnServerConfInput(args, size, sharedSecret));
            const cloudInit = renderTurnCloudInit(turnCloudInitInput(args, index, hostname, conf, token));
            return withReservedIpAnchor(cloudInit, ip, TURN_CONF_PATH);
          }),
        ),
      );
      const droplet = new digitalocean.Droplet(
        `${name}-${n}-droplet`,
        {
          name: hostname,
          region: args.region,
          size: turn.size,
          image: TURN_DROPLET_IMAGE,
          vpcUuid: args.vpcId,
          monitoring: true,
          ipv6: false,
          userData,
          // Without keys DigitalOcean would set a root password; the cloud-init locks it and stops sshd.
          sshKeys: turn.sshKeys,
          tags: areaTags(identity, "turn"),
        },
        child,
      );
      new digitalocean.ReservedIpAssignment(
        `${name}-${n}-ip-assignment`,
        { ipAddress: reservedIp.ipAddress, dropletId: droplet.id.apply(Number) },
        // The reserved IP can be assigned to one droplet at a time: release it before the replacement takes it.
        { parent: this, deleteBeforeReplace: true },
      );
      args.dns.addRecords(this, `${name}-${n}`, [
        { name: turnRecordName(index), type: "A", value: reservedIp.ipAddress, ttl: 300 },
      ]);
      args.dns.addRecords(this, `${name}-${n}-shared`, [
        { name: TURN_SHARED_RECORD, type: "A", value: reservedIp.ipAddress, ttl: 300 },
      ]);
      this.reservedIps.push(reservedIp.ipAddress);
      this.dropletIds.push(droplet.id);
      this.projectResources.push(droplet.dropletUrn, reservedIp.reservedIpUrn);
    }

    new digitalocean.Firewall(
      `${name}-firewall`,
      {
        name: resourceName(identity, "turn"),
        dropletIds: this.dropletIds.map((id) => id.apply(Number)),
        inboundRules: turnInboundRules(
          {
            listeningPort: MEDIA_PORTS.turnListening,
            tlsPort: MEDIA_PORTS.turnTls,
            publicTlsPort: MEDIA_PORTS.turnPublicTls,
            relayPortRange: { start: turn.relayPorts.min, end: turn.relayPorts.max },
          },
          // SSH opens only to key holders: no keys, no port 22 (the config rule requires keys with CIDRs).
          turn.sshKeys.length > 0 ? turn.adminSshCidrs : [],
          args.dnsApiToken === undefined,
        ),
        outboundRules: openOutboundRules(),
      },
      child,
    );

    // DigitalOcean alerts need a recipient; stacks without alert e-mails rely on the prober's metrics alone.
    if (args.alertEmails.length > 0) {
      const thresholds = turnAlertThresholds(size);
      const alerts = { emails: [...args.alertEmails] };
      new digitalocean.MonitorAlert(
        `${name}-cpu-alert`,
        {
          type: "v1/insights/droplet/cpu",
          compare: "GreaterThan",
          value: thresholds.cpuPercent,
          window: "5m",
          entities: this.dropletIds,
          enabled: true,
          alerts,
          description: `${resourceName(identity, "turn")}: CPU above ${thresholds.cpuPercent}% for 5 minutes`,
        },
        child,
      );
      new digitalocean.MonitorAlert(
        `${name}-bandwidth-alert`,
        {
          type: "v1/insights/droplet/public_outbound_bandwidth",
          compare: "GreaterThan",
          value: thresholds.outboundMbps,
          window: "5m",
          entities: this.dropletIds,
          enabled: true,
          alerts,
          description: `${resourceName(identity, "turn")}: public outbound above ${thresholds.outboundMbps} Mbps for 5 minutes`,
        },
        child,
      );
    }

    this.stunServers = pulumi
      .all(this.reservedIps)
      .apply((ips) => ips.map((ip) => `${ip}:${MEDIA_PORTS.turnListening}`));
    this.liveKitTurnServers = liveKitTurnServers(args.domain, turn.count);
    this.registerOutputs({ reservedIps: this.reservedIps });
  }
}
