import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { projectWithStack } from "../../test/infra/stack-helpers.ts";
import { PROJECT_ROOT } from "./plan.ts";

const run = promisify(execFile);
const tsx = join(PROJECT_ROOT, "node_modules/.bin/tsx");

async function cli(script: string, args: string[], cwd = PROJECT_ROOT) {
  try {
    const { stdout, stderr } = await run(tsx, [join(PROJECT_ROOT, "infra/plan", script), ...args], {
      cwd,
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe("npm run plan", () => {
  it.each(["staging", "production"])(
    "prints the %s tree with counts and key inputs, exit 0",
    async (stack) => {
      const out = await cli("cli.ts", ["--stack", stack]);
      expect(out.code).toBe(0);
      expect(out.stdout).toMatch(new RegExp(`^pulumi:pulumi:Stack gomeet-${stack}  \\(\\d+ resources\\)`));
      expect(out.stdout).toMatch(/gomeet:cluster:Cluster cluster {2}\(\d+ resources\)/);
      expect(out.stdout).toMatch(/KubernetesNodePool cluster-media .*size=c-16-intel/);
      expect(out.stdout).toContain(`Summary: `);
      expect(out.stdout).toContain("kubeconfig: [secret]");
      expect(out.stderr).toMatch(/plan: done in \d+\.\d s/);
    },
  );

  it("writes byte-identical JSON on two runs", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gomeet-plan-"));
    const a = await cli("cli.ts", ["--stack", "production", "--json", join(dir, "a.json")]);
    const b = await cli("cli.ts", ["--stack", "production", "--json", join(dir, "b.json")]);
    expect([a.code, b.code]).toEqual([0, 0]);
    const first = readFileSync(join(dir, "a.json"), "utf8");
    expect(first).toBe(readFileSync(join(dir, "b.json"), "utf8"));
    expect(JSON.parse(first).summary.resources).toBeGreaterThan(20);
  });

  it("writes the graph to standard output with --json - and the report to standard error", async () => {
    const out = await cli("cli.ts", ["--stack", "staging", "--json", "-"]);
    expect(out.code).toBe(0);
    const doc = JSON.parse(out.stdout);
    expect(doc.summary.resources).toBeGreaterThan(20);
    expect(out.stderr).toContain("Summary: ");
    expect(out.stderr).not.toContain("plan: wrote");
  });

  it("answers -h and --help with the usage, exit 0", async () => {
    for (const flag of ["-h", "--help"]) {
      const out = await cli("cli.ts", [flag]);
      expect(out.code, flag).toBe(0);
      expect(out.stdout).toContain("usage: npm run plan -- --stack <name> [--json <file>|-]");
    }
  });

  it("exits 1 naming the path, rule and value on a config error", async () => {
    const root = projectWithStack("broken", {
      "gomeet:environment": "production",
      "gomeet:overrides": { cluster: { pools: { media: { maxNodes: "ten" } } } },
    });
    // The CLI plans the project it runs in; run it from the throwaway project through its own Pulumi.yaml.
    const out = await cli("cli.ts", ["--stack", "broken"], root);
    expect(out.code).toBe(1);
    expect(out.stdout).toBe("");
    expect(out.stderr).toContain(
      'gomeet:overrides.cluster.pools.media.maxNodes: expected an integer ≥ 1, got "ten"',
    );
  });

  it("exits 2 with usage when --stack is missing, 1 for a stack without a file", async () => {
    const missing = await cli("cli.ts", []);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("--stack is required");
    const unknown = await cli("cli.ts", ["--stack", "nope"]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("no stack file Pulumi.nope.yaml");
    expect(unknown.stderr).toContain("production, staging");
  });
});

describe("npm run plan:diff", () => {
  it("reports no changes for a plan against itself, and exactly the changed size otherwise", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gomeet-diff-"));
    // Both plans run from copies of the project (stack file only), so a web build that another test
    // writes to apps/web/dist meanwhile cannot differ between them.
    const original = readFileSync(join(PROJECT_ROOT, "Pulumi.production.yaml"), "utf8");
    const baseRoot = projectWithStack("production", {});
    writeFileSync(join(baseRoot, "Pulumi.production.yaml"), original);
    const base = join(dir, "base.json");
    expect((await cli("cli.ts", ["--stack", "production", "--json", base], baseRoot)).code).toBe(0);

    const same = await cli("diff-cli.ts", [base, base]);
    expect(same.code).toBe(0);
    expect(same.stdout).toContain("No changes");

    const stackFile = original.replace(
      "    cluster:\n",
      "    cluster:\n      pools:\n        apps:\n          size: c-8\n",
    );
    const root = projectWithStack("production", {});
    writeFileSync(join(root, "Pulumi.production.yaml"), stackFile);
    const head = join(dir, "head.json");
    expect((await cli("cli.ts", ["--stack", "production", "--json", head], root)).code).toBe(0);

    const diff = await cli("diff-cli.ts", [base, head]);
    expect(diff.code).toBe(0);
    expect(diff.stdout).toContain("**0 to add, 0 to remove, 1 to change**");
    const rows = diff.stdout.split("\n").filter((l) => l.startsWith("| `"));
    expect(rows).toEqual([
      '| `cluster-apps` (`digitalocean:index/kubernetesNodePool:KubernetesNodePool`) | `size` | `"c-4"` | `"c-8"` |',
    ]);
  });

  it("refuses files that are not plans", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gomeet-diff-"));
    writeFileSync(join(dir, "x.json"), '{"hello":1}');
    const out = await cli("diff-cli.ts", [join(dir, "x.json"), join(dir, "x.json")]);
    expect(out.code).toBe(2);
    expect(out.stderr).toContain("expected a plan written by `npm run plan -- --json`");
  });
});
