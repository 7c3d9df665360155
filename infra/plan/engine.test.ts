import * as digitalocean from "@pulumi/digitalocean";
import { describe, expect, it } from "vitest";
import { recordProgram } from "./engine.ts";
import { fakeAddressIn, fakeNumericId, fakePublicIpv4 } from "./fake-outputs.ts";

const base = { project: "gomeet", stack: "enginetest", config: {}, secretKeys: [] };

describe("offline plan engine", () => {
  it("records parents, dependencies and inputs, with realistic fake outputs", async () => {
    const graph = await recordProgram({
      ...base,
      program: () => {
        const vpc = new digitalocean.Vpc("v", { region: "sgp1", ipRange: "10.9.0.0/24" });
        const droplet = new digitalocean.Droplet("d", {
          image: "debian-12-x64",
          size: "s-1vcpu-1gb",
          region: "sgp1",
          vpcUuid: vpc.id,
        });
        const ip = new digitalocean.ReservedIp("ip", { region: "sgp1" });
        new digitalocean.ReservedIpAssignment("assign", {
          ipAddress: ip.ipAddress,
          dropletId: droplet.id.apply(Number),
        });
        return { ip: droplet.ipv4Address, reserved: ip.ipAddress };
      },
    });
    const droplet = graph.resources.find((r) => r.name === "d")!;
    const vpc = graph.resources.find((r) => r.name === "v")!;
    const assign = graph.resources.find((r) => r.name === "assign")!;
    expect(droplet.dependencies).toEqual([vpc.urn]);
    expect(droplet.inputs.vpcUuid).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(droplet.parent).toBe(graph.resources.find((r) => r.type === "pulumi:pulumi:Stack")!.urn);
    expect(assign.dependencies).toHaveLength(2);
    expect(Number.isInteger(assign.inputs.dropletId)).toBe(true);
    expect(String(graph.outputs.ip)).toMatch(/^(203\.0\.113|198\.51\.100)\.\d+$/);
  });

  it("fails loudly on an invoke it does not know", async () => {
    await expect(
      recordProgram({
        ...base,
        program: async () => {
          const versions = await digitalocean.getKubernetesVersions({ versionPrefix: "1.34." });
          return { v: versions.latestVersion };
        },
      }),
    ).rejects.toThrow(
      /invoke "digitalocean:index\/getKubernetesVersions:getKubernetesVersions" is not mocked/,
    );
  });

  it("fails loudly on a resource type without a fake-output model", async () => {
    await expect(
      recordProgram({
        ...base,
        program: () => {
          new digitalocean.Volume("vol", { region: "sgp1", size: 10 });
          return {};
        },
      }),
    ).rejects.toThrow(/no fake outputs for resource type "digitalocean:index\/volume:Volume"/);
  });

  it("derives fake values deterministically, in documentation and VPC ranges", () => {
    expect(fakeNumericId("a")).toBe(fakeNumericId("a"));
    expect(Number(fakeNumericId("a"))).toBeGreaterThan(0);
    expect(fakePublicIpv4("x")).toMatch(/^(203\.0\.113|198\.51\.100)\.\d+$/);
    for (let i = 0; i < 200; i++) {
      const [a, b, c] = fakeAddressIn("10.20.0.0/20", `r${i}`).split(".").map(Number);
      expect([a, b]).toEqual([10, 20]);
      expect(c).toBeLessThan(16);
    }
  });
});
