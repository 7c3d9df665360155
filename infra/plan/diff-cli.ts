import { readFileSync } from "node:fs";
import { diffPlans, renderDiffMarkdown } from "./diff.ts";
import { parsePlanDocument } from "./graph-json.ts";

const USAGE = `usage: npm run plan:diff -- <base.json> <head.json>

Prints a Markdown summary of the resources added, removed and changed (with the changed input paths) between
two plans written by \`npm run plan -- --stack <name> --json <file>\`.`;

function main(argv: string[]): number {
  if (argv.includes("--help")) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (argv.length !== 2) {
    process.stderr.write(`plan:diff: expected two plan files, got ${argv.length}\n\n${USAGE}\n`);
    return 2;
  }
  const [basePath, headPath] = argv as [string, string];
  try {
    const base = parsePlanDocument(readFileSync(basePath, "utf8"), basePath);
    const head = parsePlanDocument(readFileSync(headPath, "utf8"), headPath);
    if (base.stack !== head.stack) {
      process.stderr.write(`plan:diff: the plans are of different stacks (${base.stack} vs ${head.stack})\n`);
      return 2;
    }
    process.stdout.write(renderDiffMarkdown(diffPlans(base, head)));
    return 0;
  } catch (error) {
    process.stderr.write(`plan:diff: ${(error as Error).message}\n`);
    return 2;
  }
}

process.exitCode = main(process.argv.slice(2));
