import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { RULES } from "../../policies/rules.ts";
import { ConfigError } from "../../stacks/loader.ts";
import { planCost } from "./cost.ts";
import { renderPlanCost } from "./cost-render.ts";
import { declaredUsage } from "./declared-usage.ts";
import { stableStringify, toPlanDocument } from "./graph-json.ts";
import { planStack } from "./plan.ts";
import { checkPlanPolicies, renderPolicyReport } from "./policy-check.ts";
import { renderPlanTree } from "./render-tree.ts";
import { listStacks, StackFileError } from "./stack-file.ts";
import { ensureWebBuild } from "./web-build-step.ts";

const USAGE = `usage: npm run plan -- --stack <name> [--json <file>|-] [--no-build-web]

Runs the GoMeet Pulumi program offline (in-process mock engine, no cloud, no credentials) for the stack
described by Pulumi.<name>.yaml and prints what it would create.

  --stack <name>   stack to plan (${listStacks(process.cwd()).join(", ") || "no Pulumi.<stack>.yaml here"})
  --json <file>    also write the normalized plan graph to <file> (stable order, secrets redacted);
                   --json - writes it to standard output and the report to standard error
  --build-web      build the web app first when apps/web/dist is missing, so the plan lists its files in
                   the CDN bucket (npm run plan passes it)
  --no-build-web   plan without building; a missing build leaves the app's files out, with a warning
  -h, --help       this text`;

async function main(): Promise<number> {
  let values: {
    stack?: string;
    json?: string;
    help?: boolean;
    "build-web"?: boolean;
    "no-build-web"?: boolean;
  };
  try {
    ({ values } = parseArgs({
      options: {
        stack: { type: "string" },
        json: { type: "string" },
        help: { type: "boolean", short: "h" },
        "build-web": { type: "boolean" },
        "no-build-web": { type: "boolean" },
      },
      strict: true,
    }));
  } catch (error) {
    process.stderr.write(`plan: ${(error as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (!values.stack) {
    process.stderr.write(`plan: --stack is required\n\n${USAGE}\n`);
    return 2;
  }
  const started = Date.now();
  if (values["build-web"] && !values["no-build-web"]) {
    try {
      ensureWebBuild({ root: process.cwd(), log: (line) => process.stderr.write(`plan: ${line}\n`) });
    } catch (error) {
      process.stderr.write(`plan: ${(error as Error).message}\n`);
      return 1;
    }
  }
  process.stderr.write(`plan: running the program for stack ${values.stack} under the offline engine…\n`);
  try {
    const graph = await planStack(values.stack, process.cwd());
    // With `--json -` the graph owns standard output, so the human report moves to standard error.
    const report = values.json === "-" ? process.stderr : process.stdout;
    report.write(renderPlanTree(graph));
    const violations = checkPlanPolicies(graph);
    report.write(renderPolicyReport(violations, RULES.length));
    report.write(renderPlanCost(planCost(graph, declaredUsage(values.stack, process.cwd()))));
    if (values.json === "-") {
      process.stdout.write(stableStringify(toPlanDocument(graph)));
    } else if (values.json) {
      writeFileSync(values.json, stableStringify(toPlanDocument(graph)));
      process.stderr.write(`plan: wrote ${values.json}\n`);
    }
    process.stderr.write(`plan: done in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    const mandatory = violations.filter((v) => v.enforcement === "mandatory");
    if (mandatory.length > 0) {
      process.stderr.write(
        `plan: stack ${values.stack} violates ${mandatory.length} mandatory ${mandatory.length === 1 ? "policy" : "policies"}: ${[...new Set(mandatory.map((v) => v.policy))].join(", ")}\n`,
      );
      return 1;
    }
    return 0;
  } catch (error) {
    if (error instanceof ConfigError || error instanceof StackFileError) {
      process.stderr.write(`plan: stack ${values.stack}: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

process.exitCode = await main();
