import { parseEphemeralArguments, USAGE, UsageError } from "./arguments.ts";
import { type EphemeralContext, ephemeralDown, ephemeralSweep, ephemeralUp } from "./commands.ts";
import { PreflightError, preflight } from "./pulumi-cli.ts";

/**
 * `npm run ephemeral -- up <name> [--ttl 8h] | down <name> | sweep [--dry-run] | --help`. Exit 0 on success
 * (and for --help), 1 on any failure with one line saying what failed; 2 on a usage error.
 */
async function main(argv: readonly string[]): Promise<number> {
  const step = (message: string) => console.log(`[ephemeral] ${message}`);
  let command: ReturnType<typeof parseEphemeralArguments>;
  try {
    command = parseEphemeralArguments(argv);
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`ephemeral: ${error.message}`);
      return 2;
    }
    throw error;
  }
  if (command.kind === "help") {
    console.log(USAGE);
    return 0;
  }
  try {
    // npm runs scripts from the package root, where Pulumi.yaml and the stack files are.
    const root = process.cwd();
    step("checking the pulumi CLI and credentials");
    const pulumi = await preflight(process.env, root);
    const ctx: EphemeralContext = { pulumi, root, now: () => new Date(), step };
    switch (command.kind) {
      case "up":
        await ephemeralUp(ctx, command.name, command.ttlMs);
        return 0;
      case "down":
        await ephemeralDown(ctx, command.name);
        return 0;
      case "sweep": {
        const report = await ephemeralSweep(ctx, { dryRun: command.dryRun });
        return report.failed.length === 0 ? 0 : 1;
      }
    }
  } catch (error) {
    const prefix = error instanceof PreflightError ? "cannot run" : "failed";
    console.error(`ephemeral ${command.kind}: ${prefix}: ${(error as Error).message}`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
