import { defineConfig } from "vitest/config";

// Every test file runs in its own forked process: the Pulumi SDK keeps its runtime state (mocks, stack
// resource, config) on globals, so files must not share a process (docs/sources.md#pulumi-sdk-global-state).
export default defineConfig({
  test: {
    pool: "forks",
    isolate: true,
    include: ["**/*.test.ts"],
    exclude: ["**/node_modules/**"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    globalSetup: ["test/global-setup.ts"],
  },
});
