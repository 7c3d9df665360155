/**
 * Names and tags shared by every component. Resource names carry the stack (`gomeet-<stack>-…`) so two stacks
 * never collide in one DigitalOcean account (README.md#stack-configuration).
 */
export interface StackIdentity {
  /** Pulumi stack name, e.g. `production` or `eph-alice`. */
  stack: string;
  /** Tags from config plus the stack tag; every taggable resource carries them. */
  tags: string[];
}

export function resourceName(identity: StackIdentity, ...parts: string[]): string {
  return ["gomeet", identity.stack, ...parts].join("-");
}

/** DigitalOcean tags allow letters, digits, colons, dashes and underscores (max 255). */
export function stackTag(stack: string): string {
  return `stack:${stack}`;
}

export function areaTags(identity: StackIdentity, area: string): string[] {
  return [...identity.tags, `area:${area}`];
}

/**
 * A tag that only this stack's resources carry, for tags used as selectors (a Cloud Firewall applies to every
 * Droplet with its tag in the account, and stacks share one account): `<tag>:<stack>`, e.g. `pool:media:staging`.
 */
export function stackScopedTag(stack: string, tag: string): string {
  return `${tag}:${stack}`;
}
