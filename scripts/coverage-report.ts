import { relative, sep } from "node:path";

/**
 * Turns the istanbul `json-summary` that Vitest's V8 provider writes (one entry per file plus `total`) and
 * Vitest's JSON test report into the per-area tables of docs/quality.md.
 */

export interface Counter {
  total: number;
  covered: number;
}

export interface FileSummary {
  lines: Counter;
  branches: Counter;
}

export interface AreaCoverage {
  area: string;
  files: number;
  lines: Counter;
  branches: Counter;
}

/** The share of lines a reader can expect the tests to run, per area. */
export const LINE_TARGET_PERCENT = 80;

/**
 * Folders whose sub-folders are areas of their own: each service, each component family, each part of the
 * program. Everything else is one area per top-level folder (policies, stacks, scripts).
 */
const SPLIT_FOLDERS = new Set(["apps", "components", "infra"]);

/**
 * The area of a repository-relative path, with `/` separators: `apps/auth/src/app.ts` → `apps/auth`,
 * `infra/program.ts` → `infra/*`, `policies/rules.ts` → `policies`.
 */
export function areaOf(repoPath: string): string {
  const parts = repoPath.split("/");
  const top = parts[0] ?? repoPath;
  if (!SPLIT_FOLDERS.has(top)) return top;
  // Files directly inside a split folder (components/naming.ts, infra/program.ts) form an area of their own,
  // named like the glob that matches them.
  return parts.length > 2 ? `${top}/${parts[1]}` : `${top}/*`;
}

function counter(value: unknown, field: string, file: string): Counter {
  const entry = (value as Record<string, unknown> | undefined)?.[field] as
    | Record<string, unknown>
    | undefined;
  const total = entry?.total;
  const covered = entry?.covered;
  if (typeof total !== "number" || typeof covered !== "number" || covered > total || covered < 0) {
    throw new Error(
      `coverage summary: ${file}.${field} must have numeric total >= covered >= 0, got ${JSON.stringify(entry)}`,
    );
  }
  return { total, covered };
}

/** Reads the json-summary object; paths become repository-relative with `/` separators. */
export function parseCoverageSummary(json: unknown, root: string): Map<string, FileSummary> {
  if (typeof json !== "object" || json === null || !("total" in json)) {
    throw new Error(
      "coverage summary: expected an object with a `total` entry (istanbul json-summary format)",
    );
  }
  const files = new Map<string, FileSummary>();
  for (const [path, value] of Object.entries(json)) {
    if (path === "total") continue;
    const repoPath = relative(root, path).split(sep).join("/");
    if (repoPath.startsWith("..")) {
      throw new Error(`coverage summary: ${path} is outside the repository ${root}`);
    }
    files.set(repoPath, { lines: counter(value, "lines", path), branches: counter(value, "branches", path) });
  }
  return files;
}

const add = (a: Counter, b: Counter): Counter => ({
  total: a.total + b.total,
  covered: a.covered + b.covered,
});

/** Areas in path order, plus the total over every file. */
export function summarizeByArea(files: ReadonlyMap<string, FileSummary>): {
  areas: AreaCoverage[];
  total: AreaCoverage;
} {
  const byArea = new Map<string, AreaCoverage>();
  const empty = (area: string): AreaCoverage => ({
    area,
    files: 0,
    lines: { total: 0, covered: 0 },
    branches: { total: 0, covered: 0 },
  });
  let total = empty("total");
  for (const [path, file] of files) {
    const name = areaOf(path);
    const area = byArea.get(name) ?? empty(name);
    byArea.set(name, {
      area: name,
      files: area.files + 1,
      lines: add(area.lines, file.lines),
      branches: add(area.branches, file.branches),
    });
    total = {
      area: "total",
      files: total.files + 1,
      lines: add(total.lines, file.lines),
      branches: add(total.branches, file.branches),
    };
  }
  const areas = [...byArea.values()].sort((a, b) => a.area.localeCompare(b.area));
  return { areas, total };
}

/** Percentage with one decimal; an area with nothing to count has no percentage rather than 0 or 100. */
export function percent(counter: Counter): number | undefined {
  if (counter.total === 0) return undefined;
  return Math.floor((counter.covered / counter.total) * 1000) / 10;
}

export function meetsLineTarget(area: AreaCoverage): boolean {
  const value = percent(area.lines);
  return value !== undefined && value > LINE_TARGET_PERCENT;
}

function cell(counter: Counter): string {
  const value = percent(counter);
  return value === undefined ? "–" : `${value.toFixed(1)} % (${counter.covered}/${counter.total})`;
}

export function renderAreaTable(areas: readonly AreaCoverage[], total: AreaCoverage): string {
  const row = (area: AreaCoverage, name: string) =>
    `| ${name} | ${area.files} | ${cell(area.lines)} | ${cell(area.branches)} | ${meetsLineTarget(area) ? "yes" : "**no**"} |`;
  return [
    `| area | files | lines | branches | lines > ${LINE_TARGET_PERCENT} % |`,
    "|---|---:|---:|---:|:---:|",
    ...areas.map((area) => row(area, `\`${area.area}\``)),
    row(total, "**all measured files**"),
  ].join("\n");
}

export interface TestRun {
  /** Repository-relative test file paths with their status, as Vitest's JSON reporter lists them. */
  files: { path: string; passed: boolean }[];
  tests: { total: number; passed: number; failed: number; skipped: number };
  startedAt: Date;
}

export function parseTestResults(json: unknown, root: string): TestRun {
  const report = json as Record<string, unknown> | null;
  const results = report?.testResults;
  const numbers = [
    "numTotalTests",
    "numPassedTests",
    "numFailedTests",
    "numPendingTests",
    "startTime",
  ] as const;
  if (!Array.isArray(results) || numbers.some((key) => typeof report?.[key] !== "number")) {
    throw new Error(
      `test results: expected Vitest's JSON report with testResults and ${numbers.join(", ")} (reporter "json")`,
    );
  }
  const files = results.map((result: { name?: unknown; status?: unknown }) => {
    if (typeof result.name !== "string") throw new Error("test results: a test file entry has no name");
    return { path: relative(root, result.name).split(sep).join("/"), passed: result.status === "passed" };
  });
  const numberOf = (key: (typeof numbers)[number]) => report?.[key] as number;
  return {
    files: files.sort((a, b) => a.path.localeCompare(b.path)),
    tests: {
      total: numberOf("numTotalTests"),
      passed: numberOf("numPassedTests"),
      failed: numberOf("numFailedTests"),
      skipped: numberOf("numPendingTests"),
    },
    startedAt: new Date(numberOf("startTime")),
  };
}

/** `apps/auth (9)`, … — the test trees that produced the numbers. */
export function testAreas(run: TestRun): string {
  const counts = new Map<string, number>();
  for (const file of run.files) {
    const parts = file.path.split("/");
    const tree = parts.length > 2 ? `${parts[0]}/${parts[1]}` : (parts[0] ?? file.path);
    counts.set(tree, (counts.get(tree) ?? 0) + 1);
  }
  return [...counts.entries()].map(([tree, count]) => `\`${tree}\` (${count})`).join(", ");
}

/**
 * Replaces the text between `<!-- coverage:<scope> -->` and `<!-- /coverage:<scope> -->`, leaving the rest of
 * the page (prose, the other scope's figures) as it is.
 */
export function replaceSection(page: string, scope: string, body: string, pageName: string): string {
  const start = `<!-- coverage:${scope} -->`;
  const end = `<!-- /coverage:${scope} -->`;
  const from = page.indexOf(start);
  const to = page.indexOf(end);
  if (from < 0 || to < from) {
    throw new Error(
      `${pageName}: expected the markers ${start} and ${end} (in that order) around the figures`,
    );
  }
  return `${page.slice(0, from + start.length)}\n${body.trim()}\n${page.slice(to)}`;
}
