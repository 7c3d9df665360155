import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { defaultAssumptions } from "../../catalogue/assumptions.ts";
import { dropletSize } from "../../catalogue/droplet-sizes.ts";
import { mediaPoolOnSize, mediaSizeCandidates, planMediaPool } from "../../catalogue/media-pool.ts";
import { defaultMeetingShape, roomLoad, roomsPerNode } from "../../catalogue/room-model.ts";
import { meetingShape, planCapacity } from "./planner.ts";

const a = defaultAssumptions();

describe("room load", () => {
  it("reproduces the hand calculation of a 500-person room (docs/capacity.md#the-model)", () => {
    const load = roomLoad(defaultMeetingShape(500));
    // 500 × (25 × 25 + 100 + 3 × 50) packets/s
    expect(load.forwardedPacketsPerSecond).toBeCloseTo(437_500, 6);
    // 500 × (25 × 190 + 760 + 3 × 48) kbps
    expect(load.egressGbps).toBeCloseTo(2.827, 6);
    expect(load.vcpusNeeded).toBeCloseTo(437_500 / 36_000, 9);
  });

  it("caps visible tiles at the cameras that are on", () => {
    const shape = { ...defaultMeetingShape(500), videoPublishers: 4 };
    expect(roomLoad(shape).visibleTiles).toBe(4);
  });

  const participants = fc.integer({ min: 2, max: 3000 });
  const publishers = fc.integer({ min: 0, max: 3000 });

  it("grows with participants", () => {
    fc.assert(
      fc.property(participants, participants, publishers, (p1, p2, pubs) => {
        const [lo, hi] = p1 <= p2 ? [p1, p2] : [p2, p1];
        const a1 = roomLoad(meetingShape(lo, Math.min(pubs, lo), a));
        const a2 = roomLoad(meetingShape(hi, Math.min(pubs, lo), a));
        expect(a2.forwardedPacketsPerSecond).toBeGreaterThanOrEqual(a1.forwardedPacketsPerSecond);
        expect(a2.egressGbps).toBeGreaterThanOrEqual(a1.egressGbps);
      }),
    );
  });

  it("grows with video publishers", () => {
    fc.assert(
      fc.property(participants, publishers, publishers, (p, q1, q2) => {
        const [lo, hi] = q1 <= q2 ? [q1, q2] : [q2, q1];
        const a1 = roomLoad(meetingShape(p, Math.min(lo, p), a));
        const a2 = roomLoad(meetingShape(p, Math.min(hi, p), a));
        expect(a2.forwardedPacketsPerSecond).toBeGreaterThanOrEqual(a1.forwardedPacketsPerSecond);
        expect(a2.ingressGbps).toBeGreaterThanOrEqual(a1.ingressGbps);
      }),
    );
  });
});

describe("media pool", () => {
  it("puts each 500-person meeting on its own c-16-intel node with 10 % spares", () => {
    const pool = planMediaPool({ meetings: 100, shape: defaultMeetingShape(500) });
    expect(pool.size.slug).toBe("c-16-intel");
    expect(pool.roomsPerNode).toBe(1);
    expect([pool.minNodes, pool.maxNodes]).toEqual([10, 110]);
  });

  it("refuses a size that cannot host one room", () => {
    expect(() => planMediaPool({ meetings: 1, shape: defaultMeetingShape(500), size: "c-16" })).toThrow(
      /c-16 cannot host one 500-participant room/,
    );
  });

  const meetings = fc.integer({ min: 1, max: 400 });
  const people = fc.integer({ min: 2, max: 1000 });
  const sizes = mediaSizeCandidates();

  it("needs no fewer nodes for more participants or meetings", () => {
    fc.assert(
      fc.property(
        meetings,
        people,
        fc.integer({ min: 0, max: 200 }),
        fc.integer({ min: 0, max: 500 }),
        (m, p, dm, dp) => {
          const size = dropletSize("c-32-intel");
          const small = mediaPoolOnSize(size, m, roomLoad(defaultMeetingShape(p)));
          const big = mediaPoolOnSize(size, m + dm, roomLoad(defaultMeetingShape(p + dp)));
          if (!small || !big) return; // one room too big for the size: the fit rule reports it
          expect(big.maxNodes).toBeGreaterThanOrEqual(small.maxNodes);
        },
      ),
    );
  });

  it("never needs more nodes on a node that is bigger in CPU and network", () => {
    fc.assert(
      fc.property(meetings, people, fc.constantFrom(...sizes), fc.constantFrom(...sizes), (m, p, s1, s2) => {
        const [small, big] = s1.vcpus <= s2.vcpus ? [s1, s2] : [s2, s1];
        if (big.network_cap_gbps < small.network_cap_gbps) return;
        const load = roomLoad(defaultMeetingShape(p));
        expect(roomsPerNode(big, load)).toBeGreaterThanOrEqual(roomsPerNode(small, load));
        const onSmall = mediaPoolOnSize(small, m, load);
        const onBig = mediaPoolOnSize(big, m, load);
        if (onSmall)
          expect(onBig?.maxNodes ?? Number.POSITIVE_INFINITY).toBeLessThanOrEqual(onSmall.maxNodes);
      }),
    );
  });
});

describe("capacity plan", () => {
  it("adds the cost table's rows up to its total", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 200 }),
        fc.integer({ min: 2, max: 500 }),
        fc.integer({ min: 1, max: 744 }),
        fc.double({ min: 0, max: 0.5, noNaN: true }),
        (meetings, participants, hours, relayShare) => {
          const plan = planCapacity({
            meetings,
            participants,
            turnSize: "c-4-intel",
            assumptions: { ...a, hoursPerMonth: hours, relayShare },
          });
          const sum = plan.costRows.reduce((s, r) => s + r.monthlyUsd, 0);
          expect(plan.totalMonthlyUsd).toBeCloseTo(sum, 6);
          expect(plan.costRows.every((r) => r.monthlyUsd >= 0)).toBe(true);
          expect(plan.costPerParticipantHourUsd).toBeCloseTo(sum / (meetings * participants * hours), 9);
        },
      ),
    );
  });

  it("sizes TURN from the relayed share and the droplet's network cap", () => {
    const plan = planCapacity({ meetings: 100, participants: 500, turnSize: "c-4-intel", assumptions: a });
    expect(plan.turn.relayedParticipants).toBe(5_000);
    expect(plan.turn.droplets).toBe(Math.ceil(plan.turn.relayGbps / 8));
    const wider = planCapacity({
      meetings: 100,
      participants: 500,
      turnSize: "c-4-intel",
      assumptions: { ...a, relayShare: 0.22 },
    });
    expect(wider.turn.droplets).toBeGreaterThan(plan.turn.droplets);
  });

  it("scales chat replicas with fan-out", () => {
    const quiet = planCapacity({ meetings: 100, participants: 500, turnSize: "c-4-intel", assumptions: a });
    const busy = planCapacity({
      meetings: 100,
      participants: 500,
      turnSize: "c-4-intel",
      assumptions: { ...a, chatMessagesPerMeetingPerSecond: 10 },
    });
    const chat = (p: typeof quiet) =>
      p.controlPlane.services.find((s) => s.service === "chat")?.replicas ?? 0;
    expect(chat(busy)).toBeGreaterThan(chat(quiet));
  });
});
