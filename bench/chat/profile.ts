/**
 * Reads a V8 CPU profile (`node --cpu-prof`) and sums self time by function and by where the code comes from,
 * so RESULTS.md can say what dominated a run. Profiles are written outside the repository (os.tmpdir()).
 */
import { readFileSync } from "node:fs";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  seconds: number;
  /** Share of sampled time by origin: the chat code, each npm package, node internals, GC, idle. */
  byOrigin: Array<{ origin: string; share: number }>;
  /** The functions with the most self time. */
  topFunctions: Array<{ name: string; origin: string; share: number }>;
}

function origin(url: string, functionName: string): string {
  if (!url) {
    if (functionName === "(garbage collector)") return "GC";
    if (functionName === "(idle)") return "idle";
    if (functionName === "(program)") return "V8/native (program)";
    return "native";
  }
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  if (url.startsWith("node:")) return "node internals";
  const app = /\/apps\/([^/]+)\//.exec(url);
  if (app) return `apps/${app[1]}`;
  return "other";
}

export function summarizeProfile(path: string, top = 12): ProfileSummary {
  const profile = JSON.parse(readFileSync(path, "utf8")) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const total = [...self.values()].reduce((a, b) => a + b, 0) || 1;
  const origins = new Map<string, number>();
  const functions = new Map<string, { name: string; origin: string; time: number }>();
  for (const [id, time] of self) {
    const node = byId.get(id);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const where = origin(url, functionName);
    origins.set(where, (origins.get(where) ?? 0) + time);
    const file = url.split("/").pop() ?? "";
    const name = `${functionName || "(anonymous)"}${file ? ` ${file}:${lineNumber + 1}` : ""}`;
    const entry = functions.get(name) ?? { name, origin: where, time: 0 };
    entry.time += time;
    functions.set(name, entry);
  }
  return {
    seconds: (profile.endTime - profile.startTime) / 1e6,
    byOrigin: [...origins]
      .map(([o, time]) => ({ origin: o, share: time / total }))
      .sort((a, b) => b.share - a.share),
    topFunctions: [...functions.values()]
      .sort((a, b) => b.time - a.time)
      .slice(0, top)
      .map((f) => ({ name: f.name, origin: f.origin, share: f.time / total })),
  };
}
