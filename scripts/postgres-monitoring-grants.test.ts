import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { databaseNames } from "../components/data/postgres.ts";
import { PROJECT_ROOT } from "../infra/plan/plan.ts";
import { production } from "../stacks/presets/production.ts";
import { staging } from "../stacks/presets/staging.ts";

const run = (args: string[]) =>
  promisify(execFile)(
    join(PROJECT_ROOT, "node_modules/.bin/tsx"),
    [join(PROJECT_ROOT, "scripts/postgres-monitoring-grants.ts"), ...args],
    { cwd: PROJECT_ROOT },
  ).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (e: { code: number; stdout: string; stderr: string }) => e,
  );

describe("scripts/postgres-monitoring-grants.ts", () => {
  it.each([
    ["staging", staging],
    ["production", production],
  ])(
    "prints the grants for every database of the %s plan, and only SQL on stdout",
    async (stack, preset) => {
      const result = await run(["--stack", stack]);
      expect(result.code).toBe(0);
      const statements = result.stdout.split("\n").filter((line) => line !== "" && !line.startsWith("--"));
      const databases = databaseNames(preset.postgres.chatShards)
        .map((d) => d.database)
        .sort();
      expect(statements).toEqual([
        'grant pg_monitor to "monitoring";',
        'alter role "monitoring" set default_transaction_read_only = on;',
        'alter role "monitoring" connection limit 3;',
        ...databases.map((db) => `grant connect on database "${db}" to "monitoring";`),
      ]);
      expect(result.stdout).toMatch(
        new RegExp(`^-- monitoring grants for PostgreSQL cluster gomeet-${stack}-pg;`),
      );
      expect(result.stderr).toContain(`databases ${databases.join(", ")}`);
    },
    120_000,
  );

  it("names the missing option and the stacks to choose from", async () => {
    const result = await run([]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--stack: required, one of .*production.*staging/);
    expect(result.stdout).toBe("");
  });

  it("refuses an unknown option and a stack without a stack file, saying which", async () => {
    const unknown = await run(["--stak", "staging"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("--stak");
    const missing = await run(["--stack", "nowhere"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("Pulumi.nowhere.yaml");
    expect(missing.stdout).toBe("");
  }, 60_000);
});
