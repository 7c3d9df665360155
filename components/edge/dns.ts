import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";

export interface DnsRecordSpec {
  /** Record name relative to the zone (`api`, `turn-1`, `@`). */
  name: string;
  type: "A" | "CNAME";
  value: pulumi.Input<string>;
  ttl: number;
}

export interface DnsZoneArgs {
  domain: string;
  /**
   * The stack's `protect` setting (stacks/presets): production keeps its zone through a mistaken destroy, while an
   * ephemeral stack must be destroyable by `npm run ephemeral -- down` and the hourly sweep.
   */
  protect: boolean;
}

/**
 * The stack's DNS zone on DigitalOcean DNS. The parent domain delegates `<domain>` to ns1–3.digitalocean.com
 * (docs/runbooks/deploy.md#delegating-the-domain). Records are added by the components that own the addresses.
 */
export class DnsZone extends pulumi.ComponentResource {
  readonly zone: digitalocean.Domain;
  readonly domain: string;
  readonly domainUrn: pulumi.Output<string>;

  constructor(name: string, args: DnsZoneArgs, opts?: pulumi.ComponentResourceOptions) {
    super("gomeet:edge:DnsZone", name, {}, opts);
    this.domain = args.domain;
    this.zone = new digitalocean.Domain(
      `${name}-zone`,
      { name: args.domain },
      { parent: this, protect: args.protect },
    );
    this.domainUrn = this.zone.domainUrn;
    this.registerOutputs({ domainUrn: this.domainUrn });
  }

  /** Adds records to the zone, parented to the caller so they show where the address comes from. */
  addRecords(owner: pulumi.Resource, prefix: string, records: DnsRecordSpec[]): digitalocean.DnsRecord[] {
    return records.map(
      (r) =>
        new digitalocean.DnsRecord(
          `${prefix}-dns-${r.name === "@" ? "apex" : r.name}`,
          { domain: this.zone.name, name: r.name, type: r.type, value: r.value, ttl: r.ttl },
          { parent: owner },
        ),
    );
  }
}

/** A CNAME value must be fully qualified (trailing dot) for DigitalOcean DNS. */
export function fqdn(host: pulumi.Input<string>): pulumi.Output<string> {
  return pulumi.output(host).apply((h) => (h.endsWith(".") ? h : `${h}.`));
}
