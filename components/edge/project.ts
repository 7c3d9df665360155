import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";
import type { Environment } from "../../stacks/schema.ts";
import { resourceName, type StackIdentity } from "../naming.ts";

/** DigitalOcean project environments (API enum) per stack environment. */
export const PROJECT_ENVIRONMENT: Record<Environment, "Production" | "Staging" | "Development"> = {
  production: "Production",
  staging: "Staging",
  ephemeral: "Development",
};

export interface ProjectArgs {
  identity: StackIdentity;
  environment: Environment;
  /** URNs (`do:…`) of every resource DigitalOcean lets a project hold. */
  resources: pulumi.Input<string>[];
}

/** One DigitalOcean project per stack, holding every resource of the stack that projects can hold. */
export class Project extends pulumi.ComponentResource {
  readonly projectId: pulumi.Output<string>;

  constructor(name: string, args: ProjectArgs, opts?: pulumi.ComponentResourceOptions) {
    super("gomeet:edge:Project", name, {}, opts);
    const project = new digitalocean.Project(
      `${name}-project`,
      {
        name: resourceName(args.identity),
        description: `GoMeet ${args.identity.stack} (managed by Pulumi)`,
        purpose: "Service or API",
        environment: PROJECT_ENVIRONMENT[args.environment],
      },
      { parent: this },
    );
    new digitalocean.ProjectResources(
      `${name}-resources`,
      { project: project.id, resources: args.resources },
      { parent: this },
    );
    this.projectId = project.id;
    this.registerOutputs({ projectId: this.projectId });
  }
}
