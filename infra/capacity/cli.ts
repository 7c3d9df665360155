import { parseArgs } from "node:util";
import { ASSUMPTIONS, defaultAssumptions, type PlannerAssumptions } from "../../catalogue/assumptions.ts";
import { isKnownDropletSize } from "../../catalogue/droplet-sizes.ts";
import { LAYOUT_TILES } from "../../catalogue/room-model.ts";
import { planCapacity } from "./planner.ts";
import { renderCapacityPlan } from "./render.ts";

const USAGE = `usage: npm run capacity -- --meetings <n> --participants <n> [options]

Sizes the media fleet, TURN and control plane for concurrent meetings of one shape and prices a month.

  --meetings <n>          concurrent meetings at the target (required)
  --participants <n>      participants per meeting (required)
  --publishers <n>        cameras on per meeting (default: the layout's tiles, at most participants − 1)
  --layout <name>         ${Object.keys(LAYOUT_TILES).join(" | ")} (tiles a viewer sees by default, prices transfer; default 3x3)
  --media-size <slug>     media node size (default: the cheapest dedicated-vCPU size that fits)
  --turn-size <slug>      TURN droplet size (default c-4-intel)
  --json                  print the plan as JSON instead of text
  --help                  this text
Every assumption listed at the end of the output has its own flag, e.g. --hours-per-month 200.`;

export class UsageError extends Error {}

function positiveNumber(flag: string, raw: string, integer: boolean): number {
  const value = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(value) || value < 0 || (integer && !Number.isInteger(value))) {
    throw new UsageError(`--${flag}: expected ${integer ? "a whole number" : "a number"} ≥ 0, got "${raw}"`);
  }
  return value;
}

const INTEGER_ASSUMPTIONS = new Set<keyof PlannerAssumptions>([
  "tilesPerViewer",
  "peakTilesPerViewer",
  "screenShares",
  "speakers",
]);
const SHARE_ASSUMPTIONS = new Set<keyof PlannerAssumptions>([
  "cpuCap",
  "relayShare",
  "turnNicCap",
  "passwordLoginShare",
  "serviceCpuTarget",
]);
const NONZERO_ASSUMPTIONS = new Set<keyof PlannerAssumptions>([
  "ppsPerVcpu",
  "cpuCap",
  "videoPacketBytes",
  "audioPacketBytes",
  "turnNicCap",
  "chatFramesPerCorePerSecond",
  "joinWindowSeconds",
  "jwtVerifiesPerCorePerSecond",
  "jwtSignsPerCorePerSecond",
  "serviceCpuTarget",
  "authReplicaCpu",
  "meetingsReplicaCpu",
  "chatReplicaCpu",
]);

export function parseCapacityArgs(
  argv: string[],
): { help: true } | { help: false; json: boolean; request: Parameters<typeof planCapacity>[0] } {
  const options: Record<string, { type: "string" | "boolean" }> = {
    meetings: { type: "string" },
    participants: { type: "string" },
    publishers: { type: "string" },
    layout: { type: "string" },
    "media-size": { type: "string" },
    "turn-size": { type: "string" },
    json: { type: "boolean" },
    help: { type: "boolean" },
  };
  for (const a of ASSUMPTIONS) options[a.flag] = { type: "string" };
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: argv, options, strict: true }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) return { help: true };
  const str = (flag: string) => values[flag] as string | undefined;
  const meetingsRaw = str("meetings");
  const participantsRaw = str("participants");
  if (meetingsRaw === undefined) throw new UsageError("--meetings is required");
  if (participantsRaw === undefined) throw new UsageError("--participants is required");
  const meetings = positiveNumber("meetings", meetingsRaw, true);
  const participants = positiveNumber("participants", participantsRaw, true);
  if (meetings < 1) throw new UsageError(`--meetings: expected at least 1, got ${meetings}`);
  if (participants < 2) throw new UsageError(`--participants: expected at least 2, got ${participants}`);

  const assumptions = defaultAssumptions();
  const layout = str("layout");
  if (layout !== undefined) {
    const tiles = LAYOUT_TILES[layout];
    if (tiles === undefined) {
      throw new UsageError(
        `--layout: expected one of ${Object.keys(LAYOUT_TILES).join(", ")}, got "${layout}"`,
      );
    }
    assumptions.tilesPerViewer = tiles;
  }
  for (const a of ASSUMPTIONS) {
    const raw = str(a.flag);
    if (raw === undefined) continue;
    const value = positiveNumber(a.flag, raw, INTEGER_ASSUMPTIONS.has(a.key));
    if (SHARE_ASSUMPTIONS.has(a.key) && value > 1) {
      throw new UsageError(`--${a.flag}: expected a share from 0 to 1, got ${raw}`);
    }
    if (NONZERO_ASSUMPTIONS.has(a.key) && value === 0) {
      throw new UsageError(`--${a.flag}: expected a value above 0, got ${raw}`);
    }
    assumptions[a.key] = value;
  }
  const publishersRaw = str("publishers");
  const videoPublishers =
    publishersRaw === undefined ? undefined : positiveNumber("publishers", publishersRaw, true);
  if (videoPublishers !== undefined && videoPublishers > participants) {
    throw new UsageError(
      `--publishers: expected at most --participants (${participants}), got ${videoPublishers}`,
    );
  }
  for (const flag of ["media-size", "turn-size"]) {
    const slug = str(flag);
    if (slug !== undefined && !isKnownDropletSize(slug)) {
      throw new UsageError(
        `--${flag}: expected a Droplet size slug from catalogue/droplet-sizes.json, got "${slug}"`,
      );
    }
  }
  const mediaSize = str("media-size");
  return {
    help: false,
    json: values.json === true,
    request: {
      meetings,
      participants,
      ...(videoPublishers !== undefined ? { videoPublishers } : {}),
      ...(mediaSize ? { mediaSize } : {}),
      turnSize: str("turn-size") ?? "c-4-intel",
      assumptions,
    },
  };
}

function main(argv: string[]): number {
  try {
    const parsed = parseCapacityArgs(argv);
    if (parsed.help) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    const plan = planCapacity(parsed.request);
    process.stdout.write(parsed.json ? `${JSON.stringify(plan, null, 2)}\n` : renderCapacityPlan(plan));
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`capacity: ${error.message}\n\n${USAGE}\n`);
      return 2;
    }
    process.stderr.write(`capacity: ${(error as Error).message}\n`);
    return 1;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) process.exitCode = main(process.argv.slice(2));
