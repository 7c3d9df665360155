import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";
import { resourceName, type StackIdentity } from "../naming.ts";

export interface NetworkArgs {
  identity: StackIdentity;
  region: string;
  vpcCidr: string;
}

/** The stack's private network: one VPC in the region that every cluster, database and droplet joins. */
export class Network extends pulumi.ComponentResource {
  readonly vpcId: pulumi.Output<string>;
  readonly vpcUrn: pulumi.Output<string>;

  constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super("gomeet:network:Network", name, {}, opts);
    const vpc = new digitalocean.Vpc(
      `${name}-vpc`,
      {
        name: resourceName(args.identity, "vpc"),
        region: args.region,
        ipRange: args.vpcCidr,
        description: `GoMeet ${args.identity.stack} private network`,
      },
      { parent: this },
    );
    this.vpcId = vpc.id;
    this.vpcUrn = vpc.vpcUrn;
    this.registerOutputs({ vpcId: this.vpcId, vpcUrn: this.vpcUrn });
  }
}
