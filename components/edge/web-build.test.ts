import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { cacheControlOf, contentTypeOf, readWebBuild } from "./web-build.ts";

const dirs: string[] = [];
function build(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "gomeet-web-"));
  dirs.push(dir);
  for (const [key, content] of Object.entries(files)) {
    mkdirSync(join(dir, key, ".."), { recursive: true });
    writeFileSync(join(dir, key), content);
  }
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("web build objects", () => {
  it("caches only content-hashed assets for a year", () => {
    expect(cacheControlOf("assets/index-DIeb8mVk.js").cacheControl).toBe(
      "public, max-age=31536000, immutable",
    );
    expect(cacheControlOf("assets/JoinFlow-UAIjIkf_.js").hashed).toBe(true);
    expect(cacheControlOf("assets/logo.svg").hashed).toBe(false);
    expect(cacheControlOf("index.html").cacheControl).toBe("no-cache");
    expect(cacheControlOf("config.json").cacheControl).toBe("no-cache");
    expect(cacheControlOf("robots.txt").cacheControl).toBe("public, max-age=3600");
  });

  it("refuses a file whose type it cannot name, rather than serving it as bytes", () => {
    expect(contentTypeOf("assets/a-12345678.WOFF2")).toBe("font/woff2");
    expect(() => contentTypeOf("notes.md")).toThrow(
      /web build file notes\.md: no content type for the extension "\.md"; expected one of \.html/,
    );
  });

  it("lists files in key order with their MD5 and leaves the route list out of the uploads", () => {
    const dir = build({
      "index.html": "<!doctype html>",
      "assets/index-AAAAbbbb.js": "x",
      "spa-routes.json": '["/signin","/meetings/new"]',
    });
    const result = readWebBuild(dir)!;
    expect(result.files.map((f) => [f.key, f.md5])).toEqual([
      ["assets/index-AAAAbbbb.js", "9dd4e461268c8034f5c8564e155c67a6"],
      ["index.html", "f45451f4d07ca1f5bab9ed278e880c5f"],
    ]);
    expect(result.spaRoutes).toEqual(["signin", "meetings/new"]);
  });

  it("is absent when the directory is, and explains an unusable one", () => {
    expect(readWebBuild(join(tmpdir(), "gomeet-no-such-build"))).toBeUndefined();
    expect(() => readWebBuild(build({ "app.js": "1" }))).toThrow(/expected index\.html at its top level/);
    expect(() => readWebBuild(build({ "index.html": "", "spa-routes.json": '["j/"]' }))).toThrow(
      /spa-routes\.json\[0\]: expected a path like "\/j" or "\/meetings\/new" .*got "j\/"/,
    );
    expect(() => readWebBuild(build({ "index.html": "", "spa-routes.json": '["/index.html"]' }))).toThrow(
      /spa-routes\.json\[0\]: expected a path/,
    );
    expect(() => readWebBuild(build({ "index.html": "", "spa-routes.json": '["/a","/a"]' }))).toThrow(
      /route "\/a" is listed twice/,
    );
  });
});
