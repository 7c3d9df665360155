/**
 * bench/auth/RESULTS.md has three parts: run.ts owns the text above ISOLATION_MARKER, isolation.ts the text from
 * it to ISOLATION_NOTES_MARKER, and the notes from there on are written by hand (no bench rewrites them).
 */
export const ISOLATION_MARKER = "<!-- bench/auth/isolation.ts -->";
export const ISOLATION_NOTES_MARKER = "<!-- login isolation: profile notes -->";
