/**
 * Finds references a reader of this repository cannot follow: paths outside the checkout, `<file>.md §n`
 * citations of documents that are not in it, Markdown links to missing files or headings, and repository paths
 * (`docs/sources.md#doks-pricing`, `components/edge/dns.ts`) named in code, comments or docs that do not exist.
 * Works on an in-memory snapshot (path → text) so tests can plant mistakes without touching the checkout.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";

export interface ReferenceProblem {
  file: string;
  line: number;
  rule: "outside-path" | "missing-citation" | "dead-link" | "dead-anchor" | "missing-repo-path";
  text: string;
}

export type RepoSnapshot = ReadonlyMap<string, string>;

/** Spelled in pieces so this file does not report itself. */
const MACHINE_DIRS = [["", "work", ""].join("/"), ["", "tmp", ""].join("/")];
const SECTION = "\u00a7";

const CITATION = new RegExp(`\`?([\\w./-]+\\.md)\`?\\s*${SECTION}`, "g");
const MARKDOWN_LINK = /!?\[[^\]\n]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g;
const EXTERNAL_TARGET = /^(?:[a-z][a-z0-9+.-]*:|\/\/)/i;
/** A relative path to a file (its last part has an extension); folders such as `../migrations` are not checked. */
const RELATIVE_PATH = /(?<![\w./-])((?:\.\.\/)+(?:[\w.@-]+\/)*[\w@-]+\.[a-z]+)(?![\w/])/g;
const TEXT_FILE = /\.(?:md|ts|tsx|js|cjs|mjs|json|ya?ml|sh|toml|txt|css|html)$|(?:^|\/)(?:Dockerfile|run)$/;

/**
 * Tracked and new (not ignored) files of the checkout at `root`: the text of those that can hold a reference,
 * and an empty text for the rest (images, SQL), which links may still point at.
 */
export function readRepoSnapshot(root: string): RepoSnapshot {
  const listed = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
    cwd: root,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  const files = new Map<string, string>();
  for (const path of new Set(listed.split("\0"))) {
    if (path === "") continue;
    try {
      const text = TEXT_FILE.test(path) && !path.endsWith("package-lock.json");
      files.set(path, text ? readFileSync(join(root, path), "utf8") : "");
    } catch (error) {
      // Listed by git but deleted in the working tree: nothing to check.
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
  }
  return files;
}

/** GitHub's heading anchor: lower case, punctuation dropped, each space a hyphen. */
export function headingSlug(heading: string): string {
  return heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/<[^>]+>/g, "")
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\p{M}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

/** Anchors a Markdown file offers: its headings (outside code fences, duplicates numbered) and explicit ids. */
export function markdownAnchors(text: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const { line, inFence } of markdownLines(text)) {
    for (const match of line.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) anchors.add(match[1] ?? "");
    if (inFence) continue;
    const heading = /^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!heading) continue;
    const slug = headingSlug(heading[1] ?? "");
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

function* markdownLines(text: string): Generator<{ line: string; number: number; inFence: boolean }> {
  let fence: string | undefined;
  const lines = text.split("\n");
  for (const [index, line] of lines.entries()) {
    const marker = /^ {0,3}(`{3,}|~{3,})/.exec(line)?.[1];
    if (marker && (fence === undefined || marker.startsWith(fence))) {
      fence = fence === undefined ? marker : undefined;
      yield { line, number: index + 1, inFence: true };
      continue;
    }
    yield { line, number: index + 1, inFence: fence !== undefined };
  }
}

/**
 * The prose of a file: Markdown outside code fences, or the comments of code and configuration (whole comment
 * lines, and what follows a trailing ` // ` or ` # `).
 */
function proseLines(path: string, text: string): Array<{ line: string; number: number }> {
  if (path.endsWith(".md")) {
    return [...markdownLines(text)].filter((l) => !l.inFence);
  }
  const prose: Array<{ line: string; number: number }> = [];
  for (const [index, line] of text.split("\n").entries()) {
    if (/^\s*(?:\/\/|\/\*|\*|#)/.test(line)) {
      prose.push({ line, number: index + 1 });
      continue;
    }
    const trailing = /\s(?:\/\/|#)\s/.exec(line);
    if (trailing) prose.push({ line: line.slice(trailing.index), number: index + 1 });
  }
  return prose;
}

/** Markdown link targets are checked as links, not again as paths named in prose. */
function withoutLinkTargets(file: string, line: string): string {
  return file.endsWith(".md") ? line.replace(/\]\([^)]*\)/g, "]") : line;
}

function dirname(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash < 0 ? "" : path.slice(0, slash);
}

/** Resolves `target` against directory `from` inside the repository; undefined if it climbs out of it. */
export function resolveRepoPath(from: string, target: string): string | undefined {
  const parts = from === "" ? [] : from.split("/");
  for (const part of target.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (parts.length === 0) return undefined;
      parts.pop();
    } else {
      parts.push(part);
    }
  }
  return parts.join("/");
}

class RepoIndex {
  private readonly directories = new Set<string>([""]);
  private readonly basenames = new Set<string>();
  private readonly anchorCache = new Map<string, Set<string>>();

  constructor(readonly files: RepoSnapshot) {
    for (const path of files.keys()) {
      this.basenames.add(path.slice(path.lastIndexOf("/") + 1));
      for (let dir = dirname(path); dir !== ""; dir = dirname(dir)) this.directories.add(dir);
    }
  }

  exists(path: string): boolean {
    const trimmed = path.replace(/\/$/, "");
    return this.files.has(trimmed) || this.directories.has(trimmed);
  }

  hasBasename(name: string): boolean {
    return this.basenames.has(name);
  }

  topLevel(): string[] {
    return [...this.directories].filter((d) => d !== "" && !d.includes("/"));
  }

  /** Whether some heading of the Markdown file at `path` contains the quoted words. */
  hasHeading(path: string, words: string): boolean {
    const wanted = headingSlug(words);
    return [...this.anchors(path)].some((anchor) => anchor.includes(wanted));
  }

  anchors(path: string): Set<string> {
    let anchors = this.anchorCache.get(path);
    if (!anchors) {
      anchors = markdownAnchors(this.files.get(path) ?? "");
      this.anchorCache.set(path, anchors);
    }
    return anchors;
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Every problem in the snapshot, in file and line order. */
export function findReferenceProblems(files: RepoSnapshot): ReferenceProblem[] {
  const index = new RepoIndex(files);
  const problems: ReferenceProblem[] = [];
  const roots = [...index.topLevel(), "README.md", "CONTRIBUTING.md"].map(escapeRegExp).join("|");
  // A repository path as prose or code names it; the lookbehind skips paths inside URLs and longer paths.
  const repoPath = new RegExp(
    `(?<![\\w./@-])((?:${roots})(?:/[\\w.@-]+)*(?:\\.[a-z]+)?)(#[\\w-]+)?(?![\\w/-])`,
    "g",
  );

  for (const [file, text] of [...files].sort(([a], [b]) => a.localeCompare(b))) {
    const report = (line: number, rule: ReferenceProblem["rule"], found: string) =>
      problems.push({ file, line, rule, text: found });
    const lines = text.split("\n");
    const here = dirname(file);

    for (const [i, line] of lines.entries()) {
      for (const match of line.matchAll(CITATION)) {
        const cited = match[1] ?? "";
        const resolved = resolveRepoPath(here, cited);
        const known = cited.includes("/")
          ? (resolved !== undefined && index.exists(resolved)) || index.exists(cited)
          : index.hasBasename(cited);
        if (!known) report(i + 1, "missing-citation", match[0]);
      }
    }

    // Relative paths in prose; code's own relative paths (imports, build contexts) are the compiler's business.
    for (const { line, number } of proseLines(file, text)) {
      for (const match of withoutLinkTargets(file, line).matchAll(RELATIVE_PATH)) {
        const target = match[1] ?? "";
        const resolved = resolveRepoPath(here, target);
        if (resolved === undefined) report(number, "outside-path", target);
        else if (!index.exists(resolved)) report(number, "missing-repo-path", target);
      }
      for (const dir of MACHINE_DIRS) {
        if (line.includes(dir)) report(number, "outside-path", line.trim());
      }
    }

    // Tests build fictional paths as data, and Markdown code blocks show commands: only their prose must name
    // real files.
    const proseOnly = file.endsWith(".test.ts") || file.endsWith(".md");
    const named = proseOnly ? proseLines(file, text) : lines.map((line, i) => ({ line, number: i + 1 }));
    for (const { line, number } of named) {
      const prose = withoutLinkTargets(file, line);
      for (const match of prose.matchAll(repoPath)) {
        const path = match[1] ?? "";
        if (!path.includes("/") && !path.endsWith(".md")) continue;
        if (!/\.[a-z]+$/.test(path.slice(path.lastIndexOf("/"))) && !match[2]) continue;
        const relative = here === "" ? path : `${here}/${path}`;
        const target = !index.exists(path) && index.exists(relative) ? relative : path;
        checkTarget(index, target, match[2], "missing-repo-path", (rule) => report(number, rule, match[0]));
        // `docs/media.md "TURN health"`: the quoted words name a heading of that file.
        const quoted = /^`?\s+"([^"\n]{2,80})"/.exec(prose.slice((match.index ?? 0) + match[0].length))?.[1];
        if (quoted && target.endsWith(".md") && index.exists(target) && !index.hasHeading(target, quoted)) {
          report(number, "dead-anchor", `${match[0]} "${quoted}"`);
        }
      }
    }

    if (file.endsWith(".md")) {
      for (const { line, number, inFence } of markdownLines(text)) {
        if (inFence) continue;
        for (const match of line.replace(/`[^`]*`/g, "").matchAll(MARKDOWN_LINK)) {
          const target = match[1] ?? "";
          if (EXTERNAL_TARGET.test(target)) continue;
          const [pathPart = "", anchor] = target.split("#", 2);
          const resolved =
            pathPart === "" ? file : resolveRepoPath(dirname(file), decodeURIComponent(pathPart));
          if (resolved === undefined) {
            report(number, "outside-path", match[0]);
            continue;
          }
          const fragment = anchor === undefined ? undefined : `#${anchor}`;
          checkTarget(index, resolved, fragment, "dead-link", (rule) => report(number, rule, match[0]));
        }
      }
    }
  }
  return problems;
}

/** Reports a missing file or directory as `missing`, and an anchor no heading of a Markdown target offers. */
function checkTarget(
  index: RepoIndex,
  path: string,
  anchor: string | undefined,
  missing: ReferenceProblem["rule"],
  report: (rule: ReferenceProblem["rule"]) => void,
): void {
  if (!index.exists(path)) {
    report(missing);
    return;
  }
  if (anchor && anchor.length > 1 && path.endsWith(".md") && !index.anchors(path).has(anchor.slice(1))) {
    report("dead-anchor");
  }
}

/** One line per problem, for a failing assertion a reader can act on. */
export function formatProblems(problems: readonly ReferenceProblem[]): string {
  return problems.map((p) => `${p.file}:${p.line} ${p.rule}: ${p.text}`).join("\n");
}
