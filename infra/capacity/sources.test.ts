import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ASSUMPTIONS, defaultAssumptions } from "../../catalogue/assumptions.ts";
import { DROPLET_CATALOG_SOURCE } from "../../catalogue/droplet-sizes.ts";
import { SERVICE_PRICES } from "../../catalogue/service-prices.ts";
import { markdownAnchors } from "../../test/repo/references.ts";
import { renderAssumptions } from "./render.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const WEB_ADDRESS = /https:\/\/[^\s),]+/;
const REPO_FILE =
  /(?<![\w./-])((?:docs|bench|catalogue|components|infra|stacks)\/[\w./-]+\.(?:md|ts|json))(#[\w-]+)?/g;

/**
 * Why a printed source cannot be opened by the user reading it, or undefined when it can: it names a web address
 * or a file of this repository (with an existing heading when it names one), or says it is an assumption.
 */
function unopenable(source: string): string | undefined {
  if (/\.md`?\s*\u00a7/.test(source)) return "cites a section of a document that is not in the repository";
  const files = [...source.matchAll(REPO_FILE)];
  for (const [, path = "", anchor] of files) {
    if (!existsSync(join(ROOT, path))) return `names ${path}, which does not exist`;
    if (anchor && !markdownAnchors(readFileSync(join(ROOT, path), "utf8")).has(anchor.slice(1))) {
      return `names ${path}${anchor}, a heading that does not exist`;
    }
  }
  if (files.length === 0 && !WEB_ADDRESS.test(source) && !source.startsWith("ASSUMPTION")) {
    return "names neither a web address, a repository file nor ASSUMPTION";
  }
  return undefined;
}

/** Every `source` string in a price catalogue, with where it sits. */
function catalogueSources(value: unknown, at: string): Array<{ at: string; source: string }> {
  if (typeof value !== "object" || value === null) return [];
  return Object.entries(value).flatMap(([key, inner]) =>
    key === "source" && typeof inner === "string"
      ? [{ at: `${at}.source`, source: inner }]
      : catalogueSources(inner, `${at}.${key}`),
  );
}

describe("capacity sources", () => {
  it("rejects what a user cannot open and accepts what they can", () => {
    expect(unopenable(`services.md \u00a72.6 (measured)`)).toMatch(/not in the repository/);
    expect(unopenable("docs/capacity.md#no-such-heading")).toMatch(/heading that does not exist/);
    expect(unopenable("bench/chat/NOTES.md")).toMatch(/does not exist/);
    expect(unopenable("measured on a 2-vCPU VM")).toMatch(/neither/);
    expect(unopenable("bench/chat/RESULTS.md: ~90k frames/s")).toBeUndefined();
    expect(
      unopenable("LiveKit benchmark (https://docs.livekit.io/home/self-hosting/benchmark/)"),
    ).toBeUndefined();
    expect(unopenable("ASSUMPTION: 22 business days × 8 h")).toBeUndefined();
  });

  it("gives every planner assumption a source the user can open, and prints it", () => {
    const problems = ASSUMPTIONS.flatMap((a) => {
      const why = unopenable(a.source);
      return why ? [`--${a.flag}: ${why} (${a.source})`] : [];
    });
    expect(problems).toEqual([]);
    const printed = renderAssumptions(defaultAssumptions());
    for (const a of ASSUMPTIONS) expect(printed).toContain(`source: ${a.source}`);
  });

  it("names the page of every copied price and size", () => {
    const sources = [
      { at: "droplet-sizes.json.source", source: DROPLET_CATALOG_SOURCE },
      ...catalogueSources(SERVICE_PRICES, "service-prices.json"),
    ];
    expect(sources.length).toBeGreaterThan(10);
    const problems = sources.flatMap(({ at, source }) => {
      const why =
        unopenable(source) ??
        (source.startsWith("ASSUMPTION") ? "a price is copied, not assumed" : undefined);
      return why ? [`${at}: ${why}`] : [];
    });
    expect(problems).toEqual([]);
  });
});
