import { parse } from "yaml";

/**
 * Security rules for GitHub Actions workflows, as pure checks over the parsed YAML so the tests can prove each
 * rule catches the pattern it exists for. The privileged triggers are `pull_request_target` and `workflow_run`:
 * they run with secrets and a write token, so they must never check out or run pull-request code (a "pwn
 * request": GitHub Security Lab, "Keeping your GitHub Actions and workflows secure Part 1: Preventing pwn
 * requests", https://securitylab.github.com/research/github-actions-preventing-pwn-requests/) nor execute
 * what a PR-controlled run uploaded.
 */
export interface WorkflowStep {
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
}
export interface WorkflowJob {
  permissions?: unknown;
  steps?: WorkflowStep[];
  uses?: string;
}
export interface Workflow {
  on?: unknown;
  permissions?: unknown;
  jobs?: Record<string, WorkflowJob>;
}

export function parseWorkflow(text: string): Workflow {
  return parse(text) as Workflow;
}

export function triggers(workflow: Workflow): string[] {
  const on = workflow.on;
  if (typeof on === "string") return [on];
  if (Array.isArray(on)) return on.map(String);
  if (on && typeof on === "object") return Object.keys(on);
  return [];
}

const PRIVILEGED = ["pull_request_target", "workflow_run"];

/** Expressions that name pull-request code: its head ref/sha, the merge ref, or the triggering run's head. */
const PR_CODE_REF =
  /github\.event\.(pull_request\.(head|merge_commit_sha)|workflow_run\.(head_sha|head_branch|head_commit|head_repository))|github\.head_ref|refs\/pull\//;

/** PR-controlled text that must never be expanded inside a shell script (script injection). */
const PR_TEXT =
  /\$\{\{[^}]*github\.event\.(pull_request\.(title|body|head\.ref|head\.label)|workflow_run\.(head_branch|head_commit|display_title)|issue\.(title|body)|comment\.body)/;

/** Commands that execute files or install-and-run code. */
const EXECUTES =
  /(^|[\s;&|(])(bash|sh|zsh|source|\.|node|npx|tsx|python3?|perl|ruby|make|npm\s+(ci|install|run|test|exec|start)|yarn|pnpm|chmod\s+\+x)(\s|$)|(^|[\s;&|(])\.\/[^\s]+/m;

export function securityProblems(file: string, workflow: Workflow): string[] {
  const problems: string[] = [];
  const privileged = triggers(workflow).some((t) => PRIVILEGED.includes(t));
  for (const [jobName, job] of Object.entries(workflow.jobs ?? {})) {
    const where = `${file} job ${jobName}`;
    if (job.permissions === undefined) problems.push(`${where}: no explicit permissions`);
    if (job.uses && !isPinned(job.uses))
      problems.push(`${where}: reusable workflow ${job.uses} is not pinned`);
    const downloadPaths: string[] = [];
    for (const [index, step] of (job.steps ?? []).entries()) {
      const at = `${where} step ${step.name ?? index + 1}`;
      if (step.uses && !isPinned(step.uses)) {
        problems.push(`${at}: ${step.uses} is not pinned to a 40-hex commit SHA`);
      }
      if (!privileged) continue;
      if (step.uses?.startsWith("actions/checkout@")) {
        const inputs = JSON.stringify(step.with ?? {});
        if (PR_CODE_REF.test(inputs) || /"repository":/.test(inputs)) {
          problems.push(`${at}: checks out pull-request code under ${triggers(workflow).join("/")}`);
        }
      }
      if (step.uses?.startsWith("actions/download-artifact@")) {
        downloadPaths.push(String(step.with?.path ?? "."));
      }
      if (step.run !== undefined) {
        if (PR_TEXT.test(step.run)) problems.push(`${at}: expands pull-request text inside run:`);
        if (EXECUTES.test(step.run)) {
          problems.push(
            `${at}: run: executes code (${EXECUTES.exec(step.run)?.[0]?.trim()}) in a privileged workflow`,
          );
        }
        for (const path of downloadPaths) {
          if (executesFrom(step.run, path))
            problems.push(`${at}: runs downloaded artifact content from ${path}`);
        }
      }
    }
  }
  return problems;
}

function executesFrom(script: string, path: string): boolean {
  const lines = script.split("\n");
  return lines.some((line) => line.includes(path) && EXECUTES.test(line));
}

/** Local actions and container images are not third-party; everything else must name a full commit SHA. */
export function isPinned(uses: string): boolean {
  if (uses.startsWith("./") || uses.startsWith("docker://")) return true;
  return /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_./-]+@[0-9a-f]{40}$/.test(uses);
}
