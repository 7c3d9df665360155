import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { liveKitInput, turnServerInput } from "../../test/media/support/stack-inputs.ts";
import {
  assertDisjointPortRanges,
  KUBERNETES_NODE_PORTS,
  mediaPortRanges,
  type NamedPortRange,
  PortRangeOverlapError,
} from "./port-ranges.ts";

const rangeArb = fc
  .record({
    start: fc.integer({ min: 1, max: 65_535 }),
    length: fc.integer({ min: 0, max: 2_000 }),
    protocols: fc.subarray(["udp", "tcp"] as const, { minLength: 1 }),
  })
  .map(({ start, length, protocols }) => ({ start, end: Math.min(65_535, start + length), protocols }));

function bruteForceOverlap(ranges: NamedPortRange[]): boolean {
  for (const protocol of ["udp", "tcp"] as const) {
    const seen = new Set<number>();
    for (const r of ranges.filter((x) => x.protocols.includes(protocol))) {
      for (let p = r.start; p <= r.end; p++) {
        if (seen.has(p)) return true;
        seen.add(p);
      }
    }
  }
  return false;
}

describe("assertDisjointPortRanges", () => {
  it("throws exactly when two ranges share a protocol and a port, naming both", () => {
    fc.assert(
      fc.property(fc.array(rangeArb, { maxLength: 6 }), (raw) => {
        const ranges = raw.map((r, i) => ({ ...r, name: `range-${i}` }));
        const overlapping = bruteForceOverlap(ranges);
        let error: unknown;
        try {
          assertDisjointPortRanges(ranges);
        } catch (e) {
          error = e;
        }
        expect(error !== undefined).toBe(overlapping);
        if (error !== undefined) {
          expect(error).toBeInstanceOf(PortRangeOverlapError);
          const names = [...(error as Error).message.matchAll(/"(range-\d+)"/g)].map((m) => m[1]);
          expect(names).toHaveLength(2);
          expect(new Set(names).size).toBe(2);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("names both ranges and the shared ports", () => {
    expect(() =>
      assertDisjointPortRanges([
        { name: "livekit.rtc.udpPortRange", protocols: ["udp"], start: 50_000, end: 60_000 },
        { name: "turn.relayPortRange", protocols: ["udp"], start: 49_152, end: 65_535 },
      ]),
    ).toThrow(
      'port ranges overlap: "livekit.rtc.udpPortRange" (udp 50000–60000) and "turn.relayPortRange" (udp 49152–65535) share udp 50000–60000',
    );
  });

  it("treats the same port on different protocols as disjoint", () => {
    expect(() =>
      assertDisjointPortRanges([
        { name: "a", protocols: ["tcp"], start: 7881, end: 7881 },
        { name: "b", protocols: ["udp"], start: 7881, end: 7881 },
      ]),
    ).not.toThrow();
  });
});

describe("mediaPortRanges for the staging and production inputs", () => {
  it.each(["staging", "production"] as const)("%s: every range is disjoint", (env) => {
    const ranges = mediaPortRanges(liveKitInput(env), turnServerInput(env), 443);
    expect(ranges).toContainEqual(KUBERNETES_NODE_PORTS);
    expect(() => assertDisjointPortRanges(ranges)).not.toThrow();
  });

  it("catches coturn's default relay range colliding with LiveKit's ICE range", () => {
    const turn = { ...turnServerInput("production"), relayPortRange: { start: 49_152, end: 65_535 } };
    expect(() => assertDisjointPortRanges(mediaPortRanges(liveKitInput("production"), turn, 443))).toThrow(
      /"livekit.rtc.udpPortRange".*"turn.relayPortRange"/,
    );
  });

  it("catches a relay range inside the NodePort range", () => {
    const turn = { ...turnServerInput("production"), relayPortRange: { start: 30_000, end: 40_000 } };
    expect(() => assertDisjointPortRanges(mediaPortRanges(liveKitInput("production"), turn, 443))).toThrow(
      /"turn.relayPortRange".*"kubernetes.nodePorts"/,
    );
  });
});
