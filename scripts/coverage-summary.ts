/**
 * The second half of `npm run coverage`: reads the coverage summary and the test report the run left in
 * coverage/ and writes the per-area figures into docs/quality.md, between the markers of the run's scope
 * (COVERAGE_SCOPE, see vitest.coverage.config.ts), so a fast run does not erase the last whole-suite figures.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import {
  COVERAGE_DIRECTORY,
  type CoverageScope,
  coverageScope,
  SLOW_TEST_AREAS,
  TEST_RESULTS_FILE,
} from "../vitest.coverage.config.ts";
import {
  LINE_TARGET_PERCENT,
  meetsLineTarget,
  parseCoverageSummary,
  parseTestResults,
  percent,
  renderAreaTable,
  replaceSection,
  summarizeByArea,
  type TestRun,
  testAreas,
} from "./coverage-report.ts";

const root = resolve(import.meta.dirname, "..");
const PAGE = "docs/quality.md";

function readJson(repoPath: string, producedBy: string): unknown {
  const path = join(root, repoPath);
  if (!existsSync(path)) {
    throw new Error(`${repoPath} does not exist: ${producedBy}`);
  }
  return JSON.parse(readFileSync(path, "utf8"));
}

function packageVersion(name: string): string {
  const require = createRequire(join(root, "package.json"));
  return (require(`${name}/package.json`) as { version: string }).version;
}

function describeRun(scope: CoverageScope, run: TestRun): string {
  const command = scope === "fast" ? "npm run coverage" : "COVERAGE_SCOPE=all npm run coverage";
  const selection =
    scope === "fast"
      ? `every test file except ${SLOW_TEST_AREAS.map((area) => `\`${area}\``).join(", ")}`
      : "every test file `npm test` runs";
  const failedFiles = run.files.filter((file) => !file.passed).map((file) => `\`${file.path}\``);
  const when = `${run.startedAt.toISOString().slice(0, 16).replace("T", " ")} UTC`;
  return [
    `Measured ${when} with \`${command}\` (${selection}) on Node ${process.version}, Vitest ` +
      `${packageVersion("vitest")} and @vitest/coverage-v8 ${packageVersion("@vitest/coverage-v8")}.`,
    "",
    `Test files (${run.files.length}): ${testAreas(run)}.`,
    `Tests: ${run.tests.total} — ${run.tests.passed} passed, ${run.tests.failed} failed, ` +
      `${run.tests.skipped} skipped.` +
      (failedFiles.length > 0 ? ` Files with failures: ${failedFiles.join(", ")}.` : ""),
  ].join("\n");
}

function main(): void {
  const scope = coverageScope();
  const producedBy = `run \`${scope === "all" ? "COVERAGE_SCOPE=all " : ""}npm run coverage\` first`;
  const files = parseCoverageSummary(
    readJson(`${COVERAGE_DIRECTORY}/coverage-summary.json`, producedBy),
    root,
  );
  const run = parseTestResults(readJson(TEST_RESULTS_FILE, producedBy), root);
  const { areas, total } = summarizeByArea(files);

  const met = areas.filter(meetsLineTarget).map((area) => `\`${area.area}\``);
  const notMet = areas
    .filter((area) => !meetsLineTarget(area))
    .map((area) => `\`${area.area}\` (${percent(area.lines)?.toFixed(1) ?? "–"} %)`);
  const body = [
    describeRun(scope, run),
    "",
    renderAreaTable(areas, total),
    "",
    `Lines above ${LINE_TARGET_PERCENT} % in ${met.length} of ${areas.length} areas: ${met.join(", ") || "none"}.`,
    `Below: ${notMet.join(", ") || "none"}.`,
  ].join("\n");

  const pagePath = join(root, PAGE);
  const page = readFileSync(pagePath, "utf8");
  writeFileSync(pagePath, replaceSection(page, scope, body, PAGE));
  console.log(
    `[coverage] ${PAGE} (${scope}): ${areas.length} areas, all measured lines ${percent(total.lines)?.toFixed(1)} %,` +
      ` ${run.files.length} test files, ${run.tests.failed} failed tests`,
  );
}

try {
  main();
} catch (error) {
  console.error(`coverage-summary: ${(error as Error).message}`);
  process.exitCode = 1;
}
