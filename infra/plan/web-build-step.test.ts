import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ensureWebBuild } from "./web-build-step.ts";

const roots: string[] = [];
function project(): string {
  const root = mkdtempSync(join(tmpdir(), "gomeet-webstep-"));
  roots.push(root);
  return root;
}
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

/** A stand-in build command: a real process that writes (or fails to write) the build like Vite would. */
function writer(script: string): [string, ...string[]] {
  return [process.execPath, "-e", script];
}
const WRITE_BUILD = `const fs=require("node:fs");fs.mkdirSync("apps/web/dist",{recursive:true});fs.writeFileSync("apps/web/dist/index.html","<!doctype html>")`;

describe("the plan's web build step", () => {
  it("runs the build when apps/web/dist is missing, in the project root, and reports progress", () => {
    const root = project();
    const lines: string[] = [];
    expect(ensureWebBuild({ root, command: writer(WRITE_BUILD), log: (l) => lines.push(l) })).toBe(true);
    expect(existsSync(join(root, "apps/web/dist/index.html"))).toBe(true);
    expect(lines[0]).toContain("apps/web/dist is missing: building the web app first");
    expect(lines[1]).toMatch(/^web app built in \d+\.\d s$/);
  });

  it("leaves an existing build alone", () => {
    const root = project();
    mkdirSync(join(root, "apps/web/dist"), { recursive: true });
    writeFileSync(join(root, "apps/web/dist/index.html"), "x");
    const fails = writer("process.exit(3)");
    expect(ensureWebBuild({ root, command: fails, log: () => {} })).toBe(false);
  });

  it("names a failed build and how to see why", () => {
    expect(() =>
      ensureWebBuild({ root: project(), command: writer("process.exit(3)"), log: () => {} }),
    ).toThrow(
      "web app build failed (exit 3); run `npm run build:web` to see why, or plan with --no-build-web",
    );
  });

  it("refuses a build that exits 0 without writing index.html", () => {
    expect(() => ensureWebBuild({ root: project(), command: writer(""), log: () => {} })).toThrow(
      "web app build finished but apps/web/dist/index.html is still missing",
    );
  });
});
