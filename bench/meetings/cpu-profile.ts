import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/**
 * Reads the `.cpuprofile` files `node --cpu-prof` writes (Chrome DevTools CPU profile: nodes with a call frame
 * and a self hit count, https://chromedevtools.github.io/devtools-protocol/tot/Profiler/#type-Profile) and says
 * where the server's own CPU went: self time by package or repository file, and the hottest functions.
 */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

export interface ProfileShare {
  name: string;
  percent: number;
}

export interface ProfileSummary {
  file: string;
  /** Samples that were not idle. */
  busySamples: number;
  byArea: ProfileShare[];
  topFunctions: ProfileShare[];
}

const IDLE = new Set(["(idle)"]);

/** Where a frame's code lives: an npm package, a file of this repository, Node's internals, or V8's own. */
function areaOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith("(") ? functionName : "(native)";
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg?.[1]) return pkg[1];
  if (url.startsWith("node:")) return "node internals";
  const repo = /\/((?:apps|bench|test)\/.+)$/.exec(url);
  return repo?.[1] ?? url;
}

function top(map: Map<string, number>, total: number, n: number): ProfileShare[] {
  return [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([name, hits]) => ({ name, percent: (100 * hits) / Math.max(1, total) }));
}

export function summarizeProfile(file: string, n = 10): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, "utf8")) as { nodes: ProfileNode[] };
  const byArea = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let busy = 0;
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    const { functionName, url, lineNumber } = node.callFrame;
    if (hits === 0 || IDLE.has(functionName)) continue;
    busy += hits;
    const area = areaOf(url, functionName);
    byArea.set(area, (byArea.get(area) ?? 0) + hits);
    const name = `${functionName || "(anonymous)"} ${area}${url ? `:${lineNumber + 1}` : ""}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + hits);
  }
  return { file, busySamples: busy, byArea: top(byArea, busy, n), topFunctions: top(byFunction, busy, n) };
}

/** The largest profile in `dir` (the server process; tsx's own short-lived processes write small ones). */
export function largestProfile(dir: string): string | undefined {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith(".cpuprofile"))
    .map((f) => join(dir, f))
    .map((path) => ({ path, size: readFileSync(path).length }))
    .sort((a, b) => b.size - a.size);
  return files[0]?.path;
}

/** Markdown lines: the areas and functions with their share of busy samples. */
export function profileMarkdown(summary: ProfileSummary): string[] {
  const share = (s: ProfileShare) => `${s.name} ${s.percent.toFixed(1)} %`;
  return [
    `- self time by area (${summary.busySamples} busy samples): ${summary.byArea.map(share).join("; ")}`,
    `- hottest functions: ${summary.topFunctions.map(share).join("; ")}`,
  ];
}
