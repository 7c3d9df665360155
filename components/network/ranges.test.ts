import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { PRESETS } from "../../stacks/presets/index.ts";
import { overlaps, parseCidr } from "./cidr.ts";
import { EPHEMERAL_SLOTS, ephemeralRanges, rangeProblems, slotRanges } from "./ranges.ts";

const all = (r: { vpcCidr: string; clusterSubnet: string; serviceSubnet: string }) =>
  [r.vpcCidr, r.clusterSubnet, r.serviceSubnet].map(parseCidr);

describe("network ranges", () => {
  it("gives every ephemeral slot usable ranges", () => {
    for (let slot = 0; slot < EPHEMERAL_SLOTS; slot++) expect(rangeProblems(slotRanges(slot))).toEqual([]);
  });

  it("keeps two different ephemeral slots disjoint (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: EPHEMERAL_SLOTS - 1 }),
        fc.integer({ min: 0, max: EPHEMERAL_SLOTS - 1 }),
        (a, b) => {
          fc.pre(a !== b);
          for (const x of all(slotRanges(a)))
            for (const y of all(slotRanges(b))) expect(overlaps(x, y)).toBe(false);
        },
      ),
    );
  });

  it("keeps production, staging and every ephemeral stack apart (property over stack names)", () => {
    const fixed = [...all(PRESETS.production.network), ...all(PRESETS.staging.network)];
    for (const x of all(PRESETS.production.network))
      for (const y of all(PRESETS.staging.network)) expect(overlaps(x, y)).toBe(false);
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z][a-z0-9-]{0,30}$/), (stack) => {
        const ranges = ephemeralRanges(stack);
        expect(ephemeralRanges(stack)).toEqual(ranges);
        for (const x of all(ranges)) for (const y of fixed) expect(overlaps(x, y)).toBe(false);
      }),
    );
  });

  it("finds overlaps, small subnets and public ranges", () => {
    expect(
      rangeProblems({ vpcCidr: "10.0.0.0/16", clusterSubnet: "10.0.128.0/20", serviceSubnet: "10.1.0.0/22" }),
    ).toEqual([
      { setting: "clusterSubnet", problem: "expected a range disjoint from vpcCidr (10.0.0.0/16)" },
    ]);
    expect(
      rangeProblems({ vpcCidr: "8.8.8.0/24", clusterSubnet: "10.0.0.0/16", serviceSubnet: "10.1.0.0/23" }),
    ).toEqual([
      { setting: "vpcCidr", problem: "expected an RFC 1918 private range" },
      { setting: "serviceSubnet", problem: "expected a /22 or larger service subnet (DOKS minimum)" },
    ]);
    expect(() => parseCidr("10.0.0.1/24")).toThrow("has host bits set (network address is 10.0.0.0)");
  });
});
