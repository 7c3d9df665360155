import { createHash } from "node:crypto";
import { cidrFrom, isPrivate, overlaps, parseCidr } from "./cidr.ts";

/** The three address ranges a stack uses: its VPC, the DOKS pod subnet and the DOKS service subnet. */
export interface NetworkRanges {
  vpcCidr: string;
  clusterSubnet: string;
  serviceSubnet: string;
}

/**
 * DOKS minimums for VPC-native clusters: pod subnet at least /20 (64 nodes, a /25 per node) and service subnet
 * at least /22 (1,024 services) — docs/sources.md#doks-vpc-native-networking.
 */
export const MIN_POD_PREFIX = 20;
export const MIN_SERVICE_PREFIX = 22;

/** Ephemeral stacks draw one of this many slots; each slot's three ranges are disjoint from every other's. */
export const EPHEMERAL_SLOTS = 128;

/**
 * Ranges for an ephemeral stack: the slot comes from the stack name, so re-running keeps the same ranges and
 * two ephemeral stacks in one account rarely collide (1 in 128; DigitalOcean then refuses the VPC, and an
 * explicit `network` override picks other ranges). Slot n uses 10.30.n.0/24, a /20 in 10.160.0.0/13 and a /22 in
 * 10.176.0.0/15 — all outside the production and staging ranges.
 */
export function ephemeralRanges(stack: string): NetworkRanges {
  const slot = createHash("sha256").update(stack).digest().readUInt16BE(0) % EPHEMERAL_SLOTS;
  return slotRanges(slot);
}

export function slotRanges(slot: number): NetworkRanges {
  if (!Number.isInteger(slot) || slot < 0 || slot >= EPHEMERAL_SLOTS)
    throw new Error(`slot ${slot} out of range`);
  return {
    vpcCidr: cidrFrom(parseCidr("10.30.0.0/16").start + slot * 256, 24),
    clusterSubnet: cidrFrom(parseCidr("10.160.0.0/13").start + slot * 4096, 20),
    serviceSubnet: cidrFrom(parseCidr("10.176.0.0/15").start + slot * 1024, 22),
  };
}

/** Problems with one stack's ranges, each naming the setting; empty when the ranges are usable. */
export function rangeProblems(ranges: NetworkRanges): { setting: keyof NetworkRanges; problem: string }[] {
  const problems: { setting: keyof NetworkRanges; problem: string }[] = [];
  const parsed = {
    vpcCidr: parseCidr(ranges.vpcCidr),
    clusterSubnet: parseCidr(ranges.clusterSubnet),
    serviceSubnet: parseCidr(ranges.serviceSubnet),
  };
  for (const key of Object.keys(parsed) as (keyof NetworkRanges)[]) {
    if (!isPrivate(parsed[key]))
      problems.push({ setting: key, problem: "expected an RFC 1918 private range" });
  }
  if (parsed.clusterSubnet.prefix > MIN_POD_PREFIX) {
    problems.push({
      setting: "clusterSubnet",
      problem: `expected a /${MIN_POD_PREFIX} or larger pod subnet (DOKS minimum)`,
    });
  }
  if (parsed.serviceSubnet.prefix > MIN_SERVICE_PREFIX) {
    problems.push({
      setting: "serviceSubnet",
      problem: `expected a /${MIN_SERVICE_PREFIX} or larger service subnet (DOKS minimum)`,
    });
  }
  const pairs: [keyof NetworkRanges, keyof NetworkRanges][] = [
    ["clusterSubnet", "vpcCidr"],
    ["serviceSubnet", "vpcCidr"],
    ["serviceSubnet", "clusterSubnet"],
  ];
  for (const [a, b] of pairs) {
    if (overlaps(parsed[a], parsed[b])) {
      problems.push({ setting: a, problem: `expected a range disjoint from ${b} (${ranges[b]})` });
    }
  }
  return problems;
}
