/** bench/meetings/RESULTS.md has two writers: run.ts owns the text above this marker, precreate.ts the rest. */
export const PRECREATE_MARKER = "<!-- bench/meetings/precreate.ts -->";
