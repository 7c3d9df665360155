import { defineConfig, mergeConfig } from "vitest/config";
import base from "./vitest.config.ts";

/**
 * `npm run coverage`: the ordinary test configuration plus V8 coverage of the source trees, written as a JSON
 * summary that scripts/coverage-summary.ts turns into docs/quality.md.
 *
 * COVERAGE_SCOPE=fast (the default) leaves out the areas that need root, network namespaces, a browser or a
 * Kubernetes control plane, or that drive the services as child processes (whose code V8 coverage of the test
 * process cannot see anyway). COVERAGE_SCOPE=all runs every test file `npm test` runs.
 */
export const COVERAGE_SCOPES = ["fast", "all"] as const;
export type CoverageScope = (typeof COVERAGE_SCOPES)[number];

/** Test trees the fast scope skips; docs/quality.md names them next to the numbers. */
export const SLOW_TEST_AREAS = ["test/cluster", "test/web", "test/media", "test/e2e", "test/concurrency"];

export const COVERAGE_DIRECTORY = "coverage";
/** Vitest's JSON report of the same run: which test files ran and how they ended. */
export const TEST_RESULTS_FILE = `${COVERAGE_DIRECTORY}/test-results.json`;

export function coverageScope(value = process.env.COVERAGE_SCOPE): CoverageScope {
  if (value === undefined || value === "") return "fast";
  if ((COVERAGE_SCOPES as readonly string[]).includes(value)) return value as CoverageScope;
  throw new Error(
    `COVERAGE_SCOPE: expected one of ${COVERAGE_SCOPES.join(", ")}, got ${JSON.stringify(value)}`,
  );
}

const scope = coverageScope();

export default mergeConfig(
  base,
  defineConfig({
    test: {
      exclude: scope === "fast" ? SLOW_TEST_AREAS.map((area) => `${area}/**`) : [],
      reporters: ["default", "json"],
      outputFile: { json: TEST_RESULTS_FILE },
      coverage: {
        enabled: true,
        provider: "v8",
        // Listing the trees makes files no test loads count as 0 % instead of disappearing from the table.
        include: [
          "apps/**/*.{ts,tsx}",
          "catalogue/**/*.ts",
          "components/**/*.ts",
          "infra/**/*.ts",
          "policies/**/*.{ts,cjs}",
          "stacks/**/*.ts",
          "scripts/**/*.ts",
        ],
        exclude: ["**/*.test.ts", "**/test/**", "**/*.d.ts", "apps/web/dist/**", "apps/web/vite.config.ts"],
        reporter: ["json-summary", "text-summary"],
        reportsDirectory: COVERAGE_DIRECTORY,
        // A failing test must not hide the numbers; the summary says how many tests failed.
        reportOnFailure: true,
      },
    },
  }),
);
