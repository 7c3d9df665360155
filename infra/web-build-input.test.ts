import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadWebBuild } from "./web-build-input.ts";

const roots: string[] = [];
function project(withBuild: boolean): string {
  const root = mkdtempSync(join(tmpdir(), "gomeet-project-"));
  roots.push(root);
  if (withBuild) {
    mkdirSync(join(root, "apps/web/dist/assets"), { recursive: true });
    writeFileSync(join(root, "apps/web/dist/index.html"), "<!doctype html>");
    writeFileSync(join(root, "apps/web/dist/assets/index-AAAAbbbb.js"), "1");
  }
  return root;
}
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

describe("the web build the program uploads", () => {
  it("names files inside the project relative to its root, so plans agree across machines", () => {
    const build = loadWebBuild({ root: project(true), allowMissing: false });
    expect(build?.dir).toBe("apps/web/dist");
    expect(build?.files.map((f) => f.source)).toEqual([
      "apps/web/dist/assets/index-AAAAbbbb.js",
      "apps/web/dist/index.html",
    ]);
  });

  it("fails a deploy without a build and says how to make one", () => {
    expect(() => loadWebBuild({ root: project(false), allowMissing: false })).toThrow(
      "web app build apps/web/dist is missing: run `npm run build:web` before `pulumi preview`/`pulumi up`",
    );
  });

  it("lets the offline plan go on without a build", () => {
    expect(loadWebBuild({ root: project(false), allowMissing: true })).toBeUndefined();
  });

  it("always fails when a configured build directory does not exist", () => {
    expect(() =>
      loadWebBuild({ root: project(false), configuredDir: "out/web", allowMissing: true }),
    ).toThrow(
      'gomeet:webBuild: expected a directory holding the web app\'s build, got "out/web" (not found)',
    );
  });
});
