import { defaultAssumptions } from "../catalogue/assumptions.ts";
import { dropletSize } from "../catalogue/droplet-sizes.ts";
import { mediaPoolOnSize } from "../catalogue/media-pool.ts";
import { defaultMeetingShape, roomFitProblem, roomLoad } from "../catalogue/room-model.ts";
import { planTurn } from "../catalogue/turn-capacity.ts";
import { platformPortRangeProblems } from "../components/media/platform-ports.ts";
import { rangeProblems } from "../components/network/ranges.ts";
import type { PlatformConfig } from "./schema.ts";
import { securityConfigViolations } from "./security-rules.ts";

/** A rule that spans several settings, reported against the setting a user would change. */
export interface RuleViolation {
  path: string[];
  expected: string;
}

/** RAM per managed-database size, for the PgBouncer and standby limits below (docs/sources.md#postgresql-limits, docs/sources.md#valkey-pricing-and-limits). */
const DATABASE_RAM_GIB: Record<string, number> = {
  "db-s-1vcpu-1gb": 1,
  "db-s-1vcpu-2gb": 2,
  "db-s-2vcpu-4gb": 4,
  "db-s-4vcpu-8gb": 8,
  "db-s-6vcpu-16gb": 16,
  "db-s-8vcpu-32gb": 32,
  "db-s-16vcpu-64gb": 64,
  "gd-2vcpu-8gb": 8,
  "gd-4vcpu-16gb": 16,
  "gd-8vcpu-32gb": 32,
  "gd-16vcpu-64gb": 64,
};

/** Every PgBouncer pool the stack creates: one per service, and one per chat shard. */
export function pgbouncerConnections(config: PlatformConfig): number {
  const p = config.postgres.poolSize;
  return p.auth + p.meetings + p.chat * config.postgres.chatShards;
}

/**
 * Cross-setting rules checked after the schema: combinations that DigitalOcean would refuse, or that could not
 * carry the stack's declared meetings.
 */
export function checkPlatformRules(config: PlatformConfig): RuleViolation[] {
  const violations: RuleViolation[] = [];

  for (const { setting, problem } of rangeProblems(config.network)) {
    violations.push({ path: ["network", setting], expected: problem });
  }

  // Media nodes share one port namespace with NodePorts and node daemons (hostNetwork); coturn's relays must
  // stay clear of LiveKit's ICE range (components/media/port-ranges.ts).
  violations.push(...platformPortRangeProblems(config));

  violations.push(...mediaCapacityViolations(config));

  violations.push(...securityConfigViolations(config));

  const pgRam = DATABASE_RAM_GIB[config.postgres.size] ?? 0;
  if (config.postgres.nodeCount > 1 && pgRam < 2) {
    violations.push({
      path: ["postgres", "nodeCount"],
      expected: `expected 1 on ${config.postgres.size}: standby nodes need a plan with at least 2 GiB RAM`,
    });
  }
  // PgBouncer allows 25 connections per GiB of RAM, 3 of them reserved (docs/sources.md#postgresql-limits).
  const poolCapacity = pgRam * 25 - 3;
  const pooled = pgbouncerConnections(config);
  if (pooled > poolCapacity) {
    violations.push({
      path: ["postgres", "poolSize"],
      expected: `expected pools totalling at most ${poolCapacity} connections on ${config.postgres.size} (auth + meetings + chat × ${config.postgres.chatShards} shards = ${pooled})`,
    });
  }
  // 21 PgBouncer pools per cluster (docs/sources.md#postgresql-limits): auth, meetings and one per chat shard.
  if (2 + config.postgres.chatShards > 21) {
    violations.push({
      path: ["postgres", "chatShards"],
      expected: "expected at most 19 chat shards (21 pools per cluster)",
    });
  }
  const valkeyRam = DATABASE_RAM_GIB[config.valkey.size] ?? 0;
  if (config.valkey.nodeCount > 1 && valkeyRam < 2) {
    violations.push({
      path: ["valkey", "nodeCount"],
      expected: `expected 1 on ${config.valkey.size}: a standby needs a plan with at least 2 GiB RAM`,
    });
  }
  return violations;
}

/**
 * Can the stack carry its declared target? The capacity planner's rules (docs/capacity.md): one room fits a
 * media node, the pool can grow to the nodes the target needs, and the TURN fleet carries the relayed share.
 */
function mediaCapacityViolations(config: PlatformConfig): RuleViolation[] {
  const { targetMeetings, participantsPerMeeting } = config.media;
  const media = dropletSize(config.cluster.pools.media.size);
  const load = roomLoad(defaultMeetingShape(participantsPerMeeting));
  const fit = roomFitProblem(media, load);
  if (fit) {
    return [
      {
        path: ["cluster", "pools", "media", "size"],
        expected: `expected a size that hosts one ${participantsPerMeeting}-participant room (${fit})`,
      },
    ];
  }
  const violations: RuleViolation[] = [];
  const pool = mediaPoolOnSize(media, targetMeetings, load);
  if (pool && config.cluster.pools.media.maxNodes < pool.nodesForTarget) {
    violations.push({
      path: ["cluster", "pools", "media", "maxNodes"],
      expected:
        pool.roomsPerNode === 1
          ? `expected at least ${pool.nodesForTarget} (media.targetMeetings): each ${participantsPerMeeting}-participant meeting needs a ${media.slug} node of its own`
          : `expected at least ${pool.nodesForTarget} (media.targetMeetings ${targetMeetings} at ${pool.roomsPerNode} ${participantsPerMeeting}-participant rooms per ${media.slug} node)`,
    });
  }
  const a = defaultAssumptions();
  const turnSize = dropletSize(config.turn.size);
  const turn = planTurn(turnSize, targetMeetings, participantsPerMeeting, load, a.relayShare, a.turnNicCap);
  if (config.turn.count < turn.droplets) {
    violations.push({
      path: ["turn", "count"],
      expected: `expected at least ${turn.droplets} ${turnSize.slug} droplets for the target (${turn.relayedParticipants} relayed participants at ${turn.perRelayedParticipantMbps.toFixed(2)} Mbps = ${turn.relayGbps.toFixed(2)} Gbps, ${turn.perDropletGbps.toFixed(1)} Gbps per droplet; docs/capacity.md)`,
    });
  }
  return violations;
}
