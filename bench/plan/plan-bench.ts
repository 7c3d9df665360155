import { spawnSync } from "node:child_process";
import { cpus, totalmem } from "node:os";
import { join, resolve } from "node:path";

/**
 * Times `npm run plan -- --stack <stack>` end to end (process start, TypeScript loading, the program under the
 * mock engine, printing) and reports wall time and peak memory of the plan process. Usage:
 *   npx tsx bench/plan/plan-bench.ts [--stack production] [--runs 5]
 */
const root = resolve(import.meta.dirname, "../..");
const args = process.argv.slice(2);
const stack =
  args[args.indexOf("--stack") + 1] && args.includes("--stack")
    ? args[args.indexOf("--stack") + 1]!
    : "production";
const runs = args.includes("--runs") ? Number(args[args.indexOf("--runs") + 1]) : 5;

const timeBin = "/usr/bin/time";
const walls: number[] = [];
const rss: number[] = [];
for (let i = 0; i < runs; i++) {
  const started = process.hrtime.bigint();
  const result = spawnSync(
    timeBin,
    ["-f", "%M", join(root, "node_modules/.bin/tsx"), "infra/plan/cli.ts", "--stack", stack],
    {
      cwd: root,
      encoding: "utf8",
    },
  );
  const wall = Number(process.hrtime.bigint() - started) / 1e9;
  if (result.status !== 0) throw new Error(`plan failed (exit ${result.status}):\n${result.stderr}`);
  const lines = result.stderr.trim().split("\n");
  rss.push(Number(lines[lines.length - 1]) / 1024);
  walls.push(wall);
}
const sorted = [...walls].sort((a, b) => a - b);
const median = sorted[Math.floor(sorted.length / 2)]!;
console.log(`stack: ${stack}, runs: ${runs}`);
console.log(
  `machine: ${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}`,
);
console.log(
  `wall s: min ${sorted[0]!.toFixed(2)}  median ${median.toFixed(2)}  max ${sorted[sorted.length - 1]!.toFixed(2)}`,
);
console.log(`peak RSS MiB: max ${Math.max(...rss).toFixed(0)}`);
