import type {
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import { describe, expect, it } from "vitest";
import { policies } from "./pack-policies.ts";

function byName(name: string) {
  const found = policies.find((p) => p.name === name);
  if (!found) throw new Error(`no policy ${name}`);
  return found;
}

describe("the @pulumi/policy adapter", () => {
  it("passes a resource's type, name, URN and props to the rule and forwards violations", async () => {
    const policy = byName("ssh-not-open-to-internet") as ResourceValidationPolicy;
    expect(policy.enforcementLevel).toBe("mandatory");
    const reported: [string, string | undefined][] = [];
    const args = {
      type: "digitalocean:index/firewall:Firewall",
      name: "turn-fw",
      urn: "urn:pulumi:production::gomeet::digitalocean:index/firewall:Firewall::turn-fw",
      props: { inboundRules: [{ protocol: "tcp", portRange: "22", sourceAddresses: ["0.0.0.0/0"] }] },
    } as unknown as ResourceValidationArgs;
    const validate = policy.validateResource as (
      a: ResourceValidationArgs,
      r: (m: string, u?: string) => void,
    ) => void;
    await validate(args, (message, urn) => reported.push([message, urn]));
    expect(reported).toEqual([["turn-fw opens TCP 22 (SSH) to 0.0.0.0/0", args.urn]]);
  });

  it("runs stack rules over every resource of the stack", async () => {
    const policy = byName("databases-admit-only-cluster") as StackValidationPolicy;
    const reported: string[] = [];
    const args = {
      resources: [
        { type: "digitalocean:index/databaseCluster:DatabaseCluster", name: "pg", urn: "urn:a", props: {} },
      ],
    } as unknown as StackValidationArgs;
    await policy.validateStack(args, (message) => reported.push(message));
    expect(reported).toEqual(["1 of 1 managed databases have no database firewall"]);
  });
});
