import { isKnownDropletSize } from "../../catalogue/droplet-sizes.ts";
import { presetMediaPool } from "../../catalogue/media-pool.ts";
import type { Environment } from "../schema.ts";

/**
 * Presets whose media pool comes from the capacity planner (catalogue/media-pool.ts). The loader re-runs the
 * planner on the merged configuration, so a stack file that changes `media.targetMeetings` or
 * `media.participantsPerMeeting` gets a pool sized for its own target; settings the stack file gives explicitly
 * under `cluster.pools.media` win and are then checked by the rules.
 */
export const MEDIA_POOL_FROM_PLANNER: ReadonlySet<Environment> = new Set<Environment>([
  "production",
  "staging",
]);

const POOL_KEYS = ["size", "minNodes", "maxNodes"] as const;

function record(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === "object" && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function wholeNumberIn(value: unknown, min: number, max: number): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= min && value <= max;
}

/**
 * `merged` with the media pool's size and bounds recomputed from its media target, except where `overrides` set
 * them. Leaves `merged` untouched when the target or the size is invalid (the schema reports those) or when no
 * size hosts one room (the fit rule reports that against the size).
 */
export function withPlannedMediaPool<T>(merged: T, overrides: Record<string, unknown>): T {
  const media = record(record(merged)?.media);
  const pool = record(record(record(record(merged)?.cluster)?.pools)?.media);
  if (!media || !pool) return merged;
  const meetings = media.targetMeetings;
  const participants = media.participantsPerMeeting;
  if (!wholeNumberIn(meetings, 1, 100_000) || !wholeNumberIn(participants, 2, 500)) return merged;
  const explicit = record(record(record(overrides.cluster)?.pools)?.media) ?? {};
  const requestedSize = explicit.size;
  if (
    requestedSize !== undefined &&
    (typeof requestedSize !== "string" || !isKnownDropletSize(requestedSize))
  ) {
    return merged;
  }
  let planned: { size: string; minNodes: number; maxNodes: number };
  try {
    planned = presetMediaPool(meetings, participants, requestedSize);
  } catch {
    return merged;
  }
  const next: Record<string, unknown> = { ...pool };
  for (const key of POOL_KEYS) if (!(key in explicit)) next[key] = planned[key];
  const root = record(merged) as Record<string, unknown>;
  const cluster = record(root.cluster) as Record<string, unknown>;
  const pools = record(cluster.pools) as Record<string, unknown>;
  return { ...root, cluster: { ...cluster, pools: { ...pools, media: next } } } as T;
}
