import type {
  PolicyResource,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import { describe, expect, it } from "vitest";
import { fromStackResource, policies } from "./pack-policies.ts";

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

  it("gives stack rules each resource's dependencies by URN (explicit and through inputs) and its options", async () => {
    const namespace = {
      type: "kubernetes:core/v1:Namespace",
      name: "ns",
      urn: "urn:pulumi:eph-bob::gomeet::kubernetes:core/v1:Namespace::ns",
      props: { metadata: { name: "media" } },
      opts: { protect: true, ignoreChanges: [] },
      dependencies: [],
      propertyDependencies: {},
    };
    const viaInput = {
      type: "kubernetes:core/v1:ConfigMap",
      name: "cm",
      urn: "urn:pulumi:eph-bob::gomeet::kubernetes:core/v1:ConfigMap::cm",
      props: { metadata: { name: "cm", namespace: "media" } },
      opts: { protect: false, ignoreChanges: ["data"] },
      dependencies: [],
      propertyDependencies: { metadata: [namespace] },
    };
    expect(fromStackResource(viaInput as unknown as PolicyResource)).toEqual({
      type: viaInput.type,
      name: "cm",
      urn: viaInput.urn,
      props: viaInput.props,
      dependencies: [namespace.urn],
      protect: false,
      ignoreChanges: ["data"],
    });
    const reported: string[] = [];
    const args = { resources: [namespace, viaInput] } as unknown as StackValidationArgs;
    for (const name of ["namespaced-objects-after-namespace", "no-protect-on-ephemeral"]) {
      await (byName(name) as StackValidationPolicy).validateStack(args, (message) => reported.push(message));
    }
    expect(reported).toEqual([
      "ns (kubernetes:core/v1:Namespace) is protected on an ephemeral stack: destroy would refuse to delete it",
    ]);
  });
});
