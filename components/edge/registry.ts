import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";

export interface RegistryArgs {
  name: string;
  region: string;
  tier: "starter" | "basic" | "professional";
}

/**
 * DigitalOcean Container Registry for the service images. An account has one registry below the professional
 * tier, so exactly one stack (production) declares it and the others only reference it by name.
 */
export class Registry extends pulumi.ComponentResource {
  readonly endpoint: pulumi.Output<string>;
  readonly registry: digitalocean.ContainerRegistry;

  constructor(name: string, args: RegistryArgs, opts?: pulumi.ComponentResourceOptions) {
    super("gomeet:edge:Registry", name, {}, opts);
    this.registry = new digitalocean.ContainerRegistry(
      `${name}-docr`,
      { name: args.name, region: args.region, subscriptionTierSlug: args.tier },
      { parent: this, protect: true },
    );
    this.endpoint = this.registry.endpoint;
    this.registerOutputs({ endpoint: this.endpoint });
  }
}

/** Where a service image lives: `registry.digitalocean.com/<registry>/<service>:<tag>`. */
export function imageReference(registryName: string, service: string, tag: string): string {
  return `registry.digitalocean.com/${registryName}/${service}:${tag}`;
}
