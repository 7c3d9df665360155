import { stackNameFor } from "./arguments.ts";
import {
  decideSweep,
  EPHEMERAL_TAG,
  EXPIRES_TAG,
  parseStackList,
  parseStackTags,
  shortStackName,
} from "./expiry.ts";
import type { PulumiRunner } from "./pulumi-cli.ts";
import { ensureEphemeralStackFile } from "./stack-file.ts";

export interface EphemeralContext {
  pulumi: PulumiRunner;
  /** The project root (Pulumi.yaml), where stack files live. */
  root: string;
  now: () => Date;
  step: (message: string) => void;
}

/** Every call carries --non-interactive so a missing passphrase or prompt fails in CI instead of hanging. */
const NI = "--non-interactive";

async function stackExists(ctx: EphemeralContext, stack: string): Promise<boolean> {
  const names = parseStackList(await ctx.pulumi.capture(["stack", "ls", "--json", NI]));
  return names.some((listed) => shortStackName(listed) === stack);
}

async function readTags(ctx: EphemeralContext, stack: string): Promise<Record<string, string>> {
  return parseStackTags(
    await ctx.pulumi.capture(["stack", "tag", "ls", "--json", "--stack", stack, NI]),
    stack,
  );
}

export async function ephemeralUp(ctx: EphemeralContext, name: string, ttlMs: number): Promise<void> {
  const stack = stackNameFor(name);
  const file = ensureEphemeralStackFile(ctx.root, stack, name);
  ctx.step(`${file.written ? "wrote" : "kept existing"} ${file.path} (ephemeral preset, validated)`);

  if (await stackExists(ctx, stack)) {
    const tags = await readTags(ctx, stack);
    if (tags[EPHEMERAL_TAG] !== "true") {
      throw new Error(
        `stack ${stack} exists without the ${EPHEMERAL_TAG}=true tag: refusing to treat it as ephemeral`,
      );
    }
    ctx.step(`stack ${stack} exists; extending its expiry`);
  } else {
    ctx.step(`creating stack ${stack}`);
    await ctx.pulumi.capture(["stack", "init", stack, NI]);
  }

  // Tags go on before `up` so a stack whose first update fails halfway is still found and swept.
  const expires = new Date(ctx.now().getTime() + ttlMs).toISOString();
  ctx.step(`tagging ${stack}: ${EPHEMERAL_TAG}=true, ${EXPIRES_TAG}=${expires}`);
  await ctx.pulumi.capture(["stack", "tag", "set", EPHEMERAL_TAG, "true", "--stack", stack, NI]);
  await ctx.pulumi.capture(["stack", "tag", "set", EXPIRES_TAG, expires, "--stack", stack, NI]);

  ctx.step(`pulumi up --yes --stack ${stack}`);
  await ctx.pulumi.stream(["up", "--yes", "--stack", stack, NI]);
  ctx.step(`${stack} is up; it expires ${expires} (npm run ephemeral -- down ${name} to remove it sooner)`);
}

export async function ephemeralDown(ctx: EphemeralContext, name: string): Promise<void> {
  const stack = stackNameFor(name);
  if (!(await stackExists(ctx, stack))) {
    throw new Error(`stack ${stack} does not exist in the current backend (nothing to destroy)`);
  }
  const tags = await readTags(ctx, stack);
  if (tags[EPHEMERAL_TAG] !== "true") {
    throw new Error(`stack ${stack} has no ${EPHEMERAL_TAG}=true tag: refusing to destroy it`);
  }
  await destroyAndRemove(ctx, stack);
}

async function destroyAndRemove(ctx: EphemeralContext, stack: string): Promise<void> {
  // --remove deletes the stack and its config file once its resources are gone
  // (docs/sources.md#pulumi-stack-tags-and-sweeping).
  ctx.step(`pulumi destroy --yes --remove --stack ${stack}`);
  await ctx.pulumi.stream(["destroy", "--yes", "--remove", "--stack", stack, NI]);
  ctx.step(`${stack} destroyed and removed`);
}

export interface SweepReport {
  /** Destroyed stacks, or with `dryRun` the stacks a real sweep would destroy. */
  destroyed: string[];
  kept: string[];
  failed: { stack: string; error: string }[];
}

/**
 * Destroys every expired ephemeral stack; one failure does not stop the others, but fails the sweep. With
 * `dryRun` it only reads the stacks and their tags and reports what a real sweep would destroy.
 */
export async function ephemeralSweep(
  ctx: EphemeralContext,
  options: { dryRun?: boolean } = {},
): Promise<SweepReport> {
  const dryRun = options.dryRun === true;
  ctx.step(`listing stacks tagged ${EPHEMERAL_TAG}=true`);
  const listed = parseStackList(
    await ctx.pulumi.capture(["stack", "ls", "--json", "--tag", `${EPHEMERAL_TAG}=true`, NI]),
  );
  ctx.step(`${listed.length} ephemeral stack(s) found`);
  const report: SweepReport = { destroyed: [], kept: [], failed: [] };
  const now = ctx.now();
  for (const stack of listed) {
    try {
      const decision = decideSweep(stack, await readTags(ctx, stack), now);
      if (decision.action === "keep") {
        ctx.step(`keep ${stack}: ${decision.reason}`);
        report.kept.push(stack);
        continue;
      }
      if (dryRun) {
        ctx.step(`would destroy ${stack}: ${decision.reason} (dry run: nothing changed)`);
        report.destroyed.push(stack);
        continue;
      }
      ctx.step(`destroy ${stack}: ${decision.reason}`);
      await destroyAndRemove(ctx, stack);
      report.destroyed.push(stack);
    } catch (error) {
      const message = (error as Error).message;
      ctx.step(`FAILED ${stack}: ${message}`);
      report.failed.push({ stack, error: message });
    }
  }
  ctx.step(
    `sweep done${dryRun ? " (dry run)" : ""}: ${report.destroyed.length} ${dryRun ? "would be destroyed" : "destroyed"}, ${report.kept.length} kept, ${report.failed.length} failed`,
  );
  return report;
}
