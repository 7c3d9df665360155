/**
 * Stack tags that mark an ephemeral stack and its expiry. Tags work on DIY backends (S3/Spaces) since CLI 3.211.0 and
 * are what `pulumi stack ls --tag` filters on (docs/sources.md#pulumi-stack-tags-and-sweeping), so the sweep needs
 * neither Pulumi Cloud Deployments nor TTL schedules.
 */
export const EPHEMERAL_TAG = "gomeet:ephemeral";
export const EXPIRES_TAG = "gomeet:expires";

export type SweepAction = "destroy" | "keep";

export interface SweepDecision {
  stack: string;
  action: SweepAction;
  reason: string;
}

/** The short stack name of a listed stack: `org/project/eph-x` and `eph-x` both give `eph-x`. */
export function shortStackName(listed: string): string {
  return listed.slice(listed.lastIndexOf("/") + 1);
}

/**
 * Decides one listed stack. Only a stack that is named eph-*, carries gomeet:ephemeral=true and has a readable
 * expiry in the past is destroyed; anything doubtful is kept, because destroying by mistake is not reversible
 * and an extra hour of a small stack is cheap.
 */
export function decideSweep(stack: string, tags: Readonly<Record<string, string>>, now: Date): SweepDecision {
  const keep = (reason: string): SweepDecision => ({ stack, action: "keep", reason });
  if (!shortStackName(stack).startsWith("eph-")) return keep("not an eph- stack");
  if (tags[EPHEMERAL_TAG] !== "true") return keep(`no ${EPHEMERAL_TAG}=true tag`);
  const expires = tags[EXPIRES_TAG];
  if (expires === undefined) return keep(`no ${EXPIRES_TAG} tag`);
  const at = Date.parse(expires);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(expires) || Number.isNaN(at)) {
    return keep(`${EXPIRES_TAG} is not an ISO time: "${expires}"`);
  }
  if (at > now.getTime()) return keep(`expires ${expires} (in ${formatDuration(at - now.getTime())})`);
  return {
    stack,
    action: "destroy",
    reason: `expired ${expires} (${formatDuration(now.getTime() - at)} ago)`,
  };
}

export function formatDuration(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
}

/** Parses `pulumi stack ls --json`: an array of `{ name, current, lastUpdate?, resourceCount?, url? }`. */
export function parseStackList(json: string): string[] {
  // Shape from pulumi/pulumi pkg/cmd/pulumi/stack/stack_list.go (stackSummaryJSON); tags are not part of it,
  // which is why each stack's tags are read with `pulumi stack tag ls --json`.
  const parsed: unknown = JSON.parse(json);
  if (!Array.isArray(parsed)) {
    throw new Error(`pulumi stack ls --json: expected an array of stacks, got ${typeof parsed}`);
  }
  return parsed.map((entry, index) => {
    const name = (entry as { name?: unknown } | null)?.name;
    if (typeof name !== "string" || name === "") {
      throw new Error(
        `pulumi stack ls --json: entry ${index}: expected a string "name", got ${JSON.stringify(entry)}`,
      );
    }
    return name;
  });
}

/** Parses `pulumi stack tag ls --json`: one object of tag name → value (stack_tag.go, `ui.PrintJSON(tags)`). */
export function parseStackTags(json: string, stack: string): Record<string, string> {
  const parsed: unknown = JSON.parse(json);
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new Error(`pulumi stack tag ls --json --stack ${stack}: expected an object of tags`);
  }
  const tags: Record<string, string> = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (typeof value === "string") tags[key] = value;
  }
  return tags;
}
