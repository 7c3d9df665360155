import { readFileSync } from "node:fs";
import { join } from "node:path";

const REPO = join(import.meta.dirname, "..", "..");

/**
 * The metric names docs/metrics.md promises, read from its tables (`| \`name\` | type | …`). Histograms
 * stand for the three series Prometheus stores: `_bucket`, `_sum` and `_count`.
 */
export function contractMetricNames(
  markdown = readFileSync(join(REPO, "docs", "metrics.md"), "utf8"),
): Set<string> {
  const names = new Set<string>();
  for (const line of markdown.split("\n")) {
    const row = /^\|\s*`([a-zA-Z_:][a-zA-Z0-9_:]*)`\s*\|\s*(counter|gauge|histogram|summary)\s*\|/.exec(line);
    if (!row) continue;
    const [, name, type] = row as unknown as [string, string, string];
    if (type === "histogram") {
      for (const suffix of ["_bucket", "_sum", "_count"]) names.add(`${name}${suffix}`);
    } else if (type === "summary") {
      for (const suffix of ["", "_sum", "_count"]) names.add(`${name}${suffix}`);
    } else {
      names.add(name);
    }
  }
  return names;
}

/** Sample names in a Prometheus text exposition (what a scrape of `/metrics` returns). */
export function exposedMetricNames(exposition: string): Set<string> {
  const names = new Set<string>();
  for (const line of exposition.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)?.[0];
    if (name) names.add(name);
  }
  return names;
}

export function livekitServerBinary(): string {
  return process.env.LIVEKIT_SERVER_BIN ?? join(REPO, ".tools", "bin", "livekit-server");
}
