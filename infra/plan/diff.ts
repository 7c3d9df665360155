import type { PlannedResource } from "./engine.ts";
import type { PlanDocument } from "./graph-json.ts";

export interface ChangedPath {
  path: string;
  before: unknown;
  after: unknown;
}

export interface ResourceChange {
  urn: string;
  type: string;
  name: string;
  changes: ChangedPath[];
}

export interface PlanDiff {
  stack: string;
  added: PlannedResource[];
  removed: PlannedResource[];
  changed: ResourceChange[];
}

/** Compares two plans resource by resource (matched by URN); inputs are compared path by path. */
export function diffPlans(base: PlanDocument, head: PlanDocument): PlanDiff {
  const before = new Map(base.resources.map((r) => [r.urn, r]));
  const after = new Map(head.resources.map((r) => [r.urn, r]));
  const added = head.resources.filter((r) => !before.has(r.urn));
  const removed = base.resources.filter((r) => !after.has(r.urn));
  const changed: ResourceChange[] = [];
  for (const r of head.resources) {
    const old = before.get(r.urn);
    if (!old) continue;
    const changes: ChangedPath[] = [];
    compare(old.inputs, r.inputs, "", changes);
    compare(old.dependencies, r.dependencies, "(dependsOn)", changes, true);
    if (old.protect !== r.protect) changes.push({ path: "(protect)", before: old.protect, after: r.protect });
    if (changes.length > 0) changed.push({ urn: r.urn, type: r.type, name: r.name, changes });
  }
  return { stack: head.stack, added, removed, changed };
}

function compare(a: unknown, b: unknown, path: string, out: ChangedPath[], whole = false): void {
  if (JSON.stringify(a) === JSON.stringify(b)) return;
  // Lists of the same length (containers, rules, ports) are compared item by item, so the path names the item.
  if (!whole && Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    for (const [i, item] of a.entries()) compare(item, b[i], `${path}[${i}]`, out);
    return;
  }
  const bothObjects =
    !whole &&
    a !== null &&
    b !== null &&
    typeof a === "object" &&
    typeof b === "object" &&
    !Array.isArray(a) &&
    !Array.isArray(b);
  if (bothObjects) {
    const keys = new Set([...Object.keys(a as object), ...Object.keys(b as object)]);
    for (const key of [...keys].sort()) {
      compare(
        (a as Record<string, unknown>)[key],
        (b as Record<string, unknown>)[key],
        path ? `${path}.${key}` : key,
        out,
      );
    }
    return;
  }
  out.push({ path, before: a, after: b });
}

function show(value: unknown): string {
  if (value === undefined) return "(unset)";
  const text = JSON.stringify(value);
  const short = text.length > 80 ? `${text.slice(0, 77)}...` : text;
  return `\`${short.replaceAll("|", "\\|").replaceAll("`", "'")}\``;
}

/** The Markdown a pull-request comment shows. */
export function renderDiffMarkdown(diff: PlanDiff): string {
  const lines = [`### Offline plan diff — stack \`${diff.stack}\``, ""];
  const total = diff.added.length + diff.removed.length + diff.changed.length;
  if (total === 0) {
    lines.push("No changes: the head plan declares the same resources with the same inputs.");
    return `${lines.join("\n")}\n`;
  }
  lines.push(
    `**${diff.added.length} to add, ${diff.removed.length} to remove, ${diff.changed.length} to change**`,
    "",
  );
  if (diff.added.length > 0) {
    lines.push("#### Added", "", "| type | name |", "|---|---|");
    for (const r of diff.added) lines.push(`| \`${r.type}\` | \`${r.name}\` |`);
    lines.push("");
  }
  if (diff.removed.length > 0) {
    lines.push("#### Removed", "", "| type | name |", "|---|---|");
    for (const r of diff.removed) lines.push(`| \`${r.type}\` | \`${r.name}\` |`);
    lines.push("");
  }
  if (diff.changed.length > 0) {
    lines.push("#### Changed", "", "| resource | input | before | after |", "|---|---|---|---|");
    for (const c of diff.changed) {
      for (const p of c.changes)
        lines.push(
          `| \`${c.name}\` (\`${c.type}\`) | \`${p.path}\` | ${show(p.before)} | ${show(p.after)} |`,
        );
    }
    lines.push("");
  }
  return `${lines.join("\n")}\n`;
}
