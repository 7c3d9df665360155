import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { execFileAsync } from "../support/processes.ts";
import { isPinned, parseWorkflow, securityProblems, triggers, type Workflow } from "./workflow-rules.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const WORKFLOWS = join(ROOT, ".github/workflows");
const ACTIONLINT = process.env.ACTIONLINT_BIN ?? join(ROOT, ".tools/bin/actionlint");

const files = readdirSync(WORKFLOWS)
  .filter((f) => /\.ya?ml$/.test(f))
  .sort();
const workflows = new Map<string, Workflow>(
  files.map((f) => [f, parseWorkflow(readFileSync(join(WORKFLOWS, f), "utf8"))]),
);
const wf = (name: string) => workflows.get(name) as Workflow;

/** Files are named explicitly so actionlint needs no enclosing git repository to find them. */
async function actionlint(cwd: string, workflowFiles: string[]) {
  try {
    const { stdout } = await execFileAsync(ACTIONLINT, ["-color=false", ...workflowFiles], { cwd });
    return { code: 0, stdout };
  } catch (error) {
    const e = error as { code: number; stdout: string };
    return { code: e.code, stdout: e.stdout };
  }
}

describe("actionlint", () => {
  it("is installed (scripts/install-test-deps.sh puts v1.7.12 at .tools/bin/actionlint)", async () => {
    expect(existsSync(ACTIONLINT), `${ACTIONLINT} missing: run bash scripts/install-test-deps.sh`).toBe(true);
    const { stdout } = await execFileAsync(ACTIONLINT, ["-version"]);
    expect(stdout.split("\n")[0]).toBe("v1.7.12");
  });

  it("passes on every workflow", async () => {
    expect(files).toEqual([
      "main.yml",
      "pr-checks.yml",
      "pr-comment.yml",
      "pr-preview.yml",
      "production.yml",
      "sweep.yml",
    ]);
    const out = await actionlint(
      ROOT,
      files.map((f) => `.github/workflows/${f}`),
    );
    expect(out.stdout).toBe("");
    expect(out.code).toBe(0);
  });

  it("reports a broken workflow (the lint is really running)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gomeet-actionlint-"));
    mkdirSync(join(dir, ".github/workflows"), { recursive: true });
    writeFileSync(
      join(dir, ".github/workflows/bad.yml"),
      `on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    permissions: {}\n    steps:\n      - run: echo hello\n        if: \${{ steps.nope.outputs.x }}\n`,
    );
    const out = await actionlint(dir, [".github/workflows/bad.yml"]);
    expect(out.code).toBe(1);
    expect(out.stdout).toContain('bad.yml:8:17: property "nope" is not defined');
  });
});

describe("workflow security rules", () => {
  it("every job has explicit permissions and every third-party action is pinned by commit SHA", () => {
    for (const [file, workflow] of workflows) {
      expect(securityProblems(file, workflow), file).toEqual([]);
      expect(workflow.permissions, `${file}: top-level permissions`).toBeDefined();
    }
    const uses = [...workflows.values()].flatMap((w) =>
      Object.values(w.jobs ?? {}).flatMap((j) => (j.steps ?? []).map((s) => s.uses).filter(Boolean)),
    );
    expect(uses.length).toBeGreaterThan(10);
    for (const u of uses) expect(u).toMatch(/@[0-9a-f]{40}$/);
  });

  it("no workflow triggered by pull_request_target or workflow_run checks out or runs pull-request code", () => {
    const privileged = [...workflows].filter(([, w]) =>
      triggers(w).some((t) => t === "pull_request_target" || t === "workflow_run"),
    );
    expect(privileged.map(([f]) => f)).toEqual(["pr-comment.yml"]);
    for (const [file, workflow] of privileged) {
      const steps = Object.values(workflow.jobs ?? {}).flatMap((j) => j.steps ?? []);
      expect(
        steps.some((s) => s.uses?.startsWith("actions/checkout@")),
        file,
      ).toBe(false);
      expect(securityProblems(file, workflow)).toEqual([]);
    }
  });

  it("catches the pwn-request patterns it exists for", () => {
    const bad = parseWorkflow(`
on:
  workflow_run:
    workflows: [pr-checks]
    types: [completed]
permissions: {}
jobs:
  comment:
    runs-on: ubuntu-24.04
    steps:
      - uses: actions/checkout@v4
        with:
          ref: \${{ github.event.workflow_run.head_sha }}
      - uses: actions/download-artifact@d3f86a106a0bac45b974a628896c90dbdf5c8093
        with:
          path: out
      - run: bash out/post.sh
      - run: echo "\${{ github.event.workflow_run.head_branch }}"
      - run: npm ci && npm test
`);
    const problems = securityProblems("bad.yml", bad).join("\n");
    expect(problems).toContain("job comment: no explicit permissions");
    expect(problems).toContain("actions/checkout@v4 is not pinned to a 40-hex commit SHA");
    expect(problems).toContain("checks out pull-request code under workflow_run");
    expect(problems).toContain("runs downloaded artifact content from out");
    expect(problems).toContain("expands pull-request text inside run:");
    expect(problems).toMatch(/run: executes code \(npm ci\)/);

    const target = parseWorkflow(`
on: pull_request_target
permissions: {}
jobs:
  a:
    runs-on: ubuntu-24.04
    permissions: { contents: read }
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683
        with:
          repository: \${{ github.event.pull_request.head.repo.full_name }}
          ref: \${{ github.event.pull_request.head.sha }}
`);
    expect(securityProblems("target.yml", target).join("\n")).toContain(
      "checks out pull-request code under pull_request_target",
    );
    expect(isPinned("docker://alpine:3.20")).toBe(true);
    expect(isPinned("pulumi/actions@v7")).toBe(false);
  });

  it("fork pull requests run with a read-only token and no secrets", () => {
    const text = readFileSync(join(WORKFLOWS, "pr-checks.yml"), "utf8");
    expect(text).not.toMatch(/secrets\./);
    expect(wf("pr-checks.yml").permissions).toEqual({ contents: "read" });
    for (const job of Object.values(wf("pr-checks.yml").jobs ?? {})) {
      expect(job.permissions).toEqual({ contents: "read" });
    }
  });

  it("the credentialed preview runs only for branches of this repository", () => {
    const jobs = Object.values(wf("pr-preview.yml").jobs ?? {}) as (Workflow["jobs"] & object)[string][];
    for (const job of jobs) {
      expect((job as { if?: string }).if).toBe(
        "github.event.pull_request.head.repo.full_name == github.repository",
      );
    }
  });

  it("production deploys in the approved environment and rolls back only after the rollout started", () => {
    const jobs = wf("production.yml").jobs as Record<
      string,
      { environment?: string; if?: string; needs?: string }
    >;
    expect(jobs.deploy?.environment).toBe("production");
    expect(jobs.rollback?.environment).toBe("production");
    expect(jobs.rollback?.needs).toBe("deploy");
    expect(jobs.rollback?.if).toContain("failure()");
    expect(jobs.rollback?.if).toContain("needs.deploy.outputs.rollout-started == 'true'");
  });
});
