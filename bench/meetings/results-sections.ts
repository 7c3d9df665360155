import { existsSync, readFileSync, writeFileSync } from "node:fs";

/**
 * bench/meetings/RESULTS.md has several writers: run.ts owns the text above the first marker, and each other bench
 * (or the hand-written notes) owns the text from its marker to the next one. Sections keep this order whoever writes last.
 */
export const JOINS_MARKER = "<!-- bench/meetings/joins.ts -->";
/** Written by hand (the profiles behind the join figures and what changed them); no bench rewrites it. */
export const JOINS_NOTES_MARKER = "<!-- joins: profile notes -->";
export const PRECREATE_MARKER = "<!-- bench/meetings/precreate.ts -->";
const MARKERS = [JOINS_MARKER, JOINS_NOTES_MARKER, PRECREATE_MARKER];

function split(text: string): { head: string; sections: Map<string, string> } {
  const found = MARKERS.map((marker) => ({ marker, at: text.indexOf(marker) }))
    .filter((m) => m.at >= 0)
    .sort((a, b) => a.at - b.at);
  const sections = new Map<string, string>();
  found.forEach(({ marker, at }, i) => {
    sections.set(marker, text.slice(at, found[i + 1]?.at ?? text.length).trimEnd());
  });
  return { head: (found[0] ? text.slice(0, found[0].at) : text).trimEnd(), sections };
}

/** Replaces the head (`marker` undefined) or one marked section of `file`, keeping the others. */
export function writeResultsSection(file: string, marker: string | undefined, text: string): void {
  const { head, sections } = split(existsSync(file) ? readFileSync(file, "utf8") : "");
  if (marker)
    sections.set(marker, text.startsWith(marker) ? text.trimEnd() : `${marker}\n\n${text.trimEnd()}`);
  const parts = [marker ? head : text.trimEnd(), ...MARKERS.flatMap((m) => sections.get(m) ?? [])];
  writeFileSync(file, `${parts.filter((p) => p.length > 0).join("\n\n")}\n`);
}
