/**
 * What a policy rule sees of one resource: its type token, logical name, URN and input properties. The same
 * shape comes from the offline plan (PlannedResource.inputs) and from `pulumi preview --policy-pack` (the
 * @pulumi/policy args' `props`), so every rule runs unchanged in both.
 */
export interface PolicyResource {
  type: string;
  name: string;
  urn: string;
  props: Record<string, unknown>;
  /**
   * URNs this resource waits for: explicit `dependsOn` and inputs taken from other resources. Stack rules get
   * them from both sources (the offline plan records them; the CLI passes them to stack policies); a resource
   * rule may see none.
   */
  dependencies?: string[];
  /** The `protect` resource option. */
  protect?: boolean;
  /** The `ignoreChanges` resource option (input paths). */
  ignoreChanges?: string[];
}

export interface Violation {
  policy: string;
  enforcement: "mandatory" | "advisory";
  message: string;
  urn?: string;
}

export type Report = (message: string, urn?: string) => void;

/** A rule over one resource at a time. */
export interface ResourceRule {
  kind: "resource";
  name: string;
  description: string;
  enforcement: "mandatory" | "advisory";
  check(resource: PolicyResource, report: Report): void;
}

/** A rule over the whole stack (relations between resources). */
export interface StackRule {
  kind: "stack";
  name: string;
  description: string;
  enforcement: "mandatory" | "advisory";
  check(resources: PolicyResource[], report: Report): void;
}

export type PolicyRule = ResourceRule | StackRule;

/** The stack name a URN belongs to (`urn:pulumi:<stack>::<project>::…`). */
export function stackOf(urn: string): string {
  return urn.split("::")[0]?.replace(/^urn:pulumi:/, "") ?? "";
}

export function get(value: unknown, path: string): unknown {
  let current = value;
  for (const key of path.split(".")) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

export function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

export function asRecord(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}
