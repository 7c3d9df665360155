import { describe, expect, it } from "vitest";
import {
  areaOf,
  meetsLineTarget,
  parseCoverageSummary,
  parseTestResults,
  percent,
  renderAreaTable,
  replaceSection,
  summarizeByArea,
  testAreas,
} from "./coverage-report.ts";

const root = "/repo";
const entry = (lines: [number, number], branches: [number, number]) => ({
  lines: { total: lines[0], covered: lines[1], skipped: 0, pct: 0 },
  statements: { total: lines[0], covered: lines[1], skipped: 0, pct: 0 },
  functions: { total: 1, covered: 1, skipped: 0, pct: 100 },
  branches: { total: branches[0], covered: branches[1], skipped: 0, pct: 0 },
});

describe("coverage areas", () => {
  it("splits apps, components and infra by sub-folder and keeps other trees whole", () => {
    expect(areaOf("apps/auth/src/routes/auth-routes.ts")).toBe("apps/auth");
    expect(areaOf("components/media/livekit.ts")).toBe("components/media");
    expect(areaOf("components/naming.ts")).toBe("components/*");
    expect(areaOf("infra/program.ts")).toBe("infra/*");
    expect(areaOf("stacks/presets/production.ts")).toBe("stacks");
    expect(areaOf("policies/rules.ts")).toBe("policies");
  });

  it("adds files up per area and overall, from an istanbul json-summary", () => {
    const files = parseCoverageSummary(
      {
        total: entry([999, 1], [999, 1]),
        "/repo/apps/auth/src/app.ts": entry([100, 90], [10, 5]),
        "/repo/apps/auth/src/users.ts": entry([50, 40], [0, 0]),
        "/repo/policies/rules.ts": entry([20, 4], [8, 2]),
      },
      root,
    );
    const { areas, total } = summarizeByArea(files);
    expect(areas.map((area) => [area.area, area.files, area.lines, area.branches])).toEqual([
      ["apps/auth", 2, { total: 150, covered: 130 }, { total: 10, covered: 5 }],
      ["policies", 1, { total: 20, covered: 4 }, { total: 8, covered: 2 }],
    ]);
    // The summary's own `total` is ignored: the overall row is the sum of the files listed.
    expect(total.lines).toEqual({ total: 170, covered: 134 });
    expect(percent(total.lines)).toBe(78.8);
    expect(areas.map(meetsLineTarget)).toEqual([true, false]);
  });

  it("never rounds an area up to the target and leaves empty counters without a percentage", () => {
    expect(percent({ total: 1000, covered: 800 })).toBe(80);
    expect(
      meetsLineTarget({
        area: "a",
        files: 1,
        lines: { total: 1000, covered: 800 },
        branches: { total: 0, covered: 0 },
      }),
    ).toBe(false);
    expect(percent({ total: 1000, covered: 999 })).toBe(99.9);
    expect(percent({ total: 0, covered: 0 })).toBeUndefined();
  });

  it("renders one row per area and a total row", () => {
    const { areas, total } = summarizeByArea(
      parseCoverageSummary(
        { total: entry([1, 1], [1, 1]), "/repo/stacks/schema.ts": entry([10, 9], [0, 0]) },
        root,
      ),
    );
    expect(renderAreaTable(areas, total).split("\n")).toEqual([
      "| area | files | lines | branches | lines > 80 % |",
      "|---|---:|---:|---:|:---:|",
      "| `stacks` | 1 | 90.0 % (9/10) | – | yes |",
      "| **all measured files** | 1 | 90.0 % (9/10) | – | yes |",
    ]);
  });

  it("refuses a summary that is not istanbul's json-summary, naming the file and field", () => {
    expect(() => parseCoverageSummary([], root)).toThrow(/json-summary/);
    expect(() =>
      parseCoverageSummary(
        { total: {}, "/repo/stacks/a.ts": { lines: { total: 1, covered: 2 }, branches: {} } },
        root,
      ),
    ).toThrow(/\/repo\/stacks\/a\.ts\.lines must have numeric total >= covered >= 0/);
    expect(() => parseCoverageSummary({ total: {}, "/elsewhere/a.ts": entry([1, 1], [1, 1]) }, root)).toThrow(
      /outside the repository/,
    );
  });
});

describe("test run description", () => {
  const report = {
    numTotalTests: 5,
    numPassedTests: 4,
    numFailedTests: 1,
    numPendingTests: 0,
    startTime: Date.UTC(2026, 11, 5, 13, 0),
    testResults: [
      { name: "/repo/test/infra/cloud-layer.test.ts", status: "passed" },
      { name: "/repo/apps/auth/test/flows.test.ts", status: "failed" },
      { name: "/repo/apps/auth/test/tokens.test.ts", status: "passed" },
      { name: "/repo/stacks/loader.test.ts", status: "passed" },
    ],
  };

  it("reads Vitest's JSON report: files in path order, counts and start time", () => {
    const run = parseTestResults(report, root);
    expect(run.files.map((file) => [file.path, file.passed])).toEqual([
      ["apps/auth/test/flows.test.ts", false],
      ["apps/auth/test/tokens.test.ts", true],
      ["stacks/loader.test.ts", true],
      ["test/infra/cloud-layer.test.ts", true],
    ]);
    expect(run.tests).toEqual({ total: 5, passed: 4, failed: 1, skipped: 0 });
    expect(run.startedAt.toISOString()).toBe("2026-12-05T13:00:00.000Z");
    expect(testAreas(run)).toBe("`apps/auth` (2), `stacks` (1), `test/infra` (1)");
  });

  it("refuses a report without the counts it prints", () => {
    expect(() => parseTestResults({ testResults: [] }, root)).toThrow(/numTotalTests/);
  });
});

describe("docs page sections", () => {
  const page =
    "# Q\n\n<!-- coverage:fast -->\nold fast\n<!-- /coverage:fast -->\n\n<!-- coverage:all -->\nold all\n<!-- /coverage:all -->\n";

  it("replaces only the figures of the scope that ran", () => {
    const updated = replaceSection(page, "fast", "new fast\n", "docs/quality.md");
    expect(updated).toContain("<!-- coverage:fast -->\nnew fast\n<!-- /coverage:fast -->");
    expect(updated).toContain("old all");
    expect(updated).not.toContain("old fast");
  });

  it("names the page and the missing markers instead of appending somewhere", () => {
    expect(() => replaceSection("# Q\n", "all", "x", "docs/quality.md")).toThrow(
      "docs/quality.md: expected the markers <!-- coverage:all --> and <!-- /coverage:all --> (in that order) around the figures",
    );
  });
});
