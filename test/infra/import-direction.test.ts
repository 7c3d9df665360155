import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const IMPORT = /^\s*(?:import|export)\b[^;]*?\bfrom\s+"([^"]+)"/gm;

/** The TypeScript modules under `folder`; tests may import any layer to exercise the whole program. */
function sources(folder: string): string[] {
  return readdirSync(join(ROOT, folder), { recursive: true, encoding: "utf8" })
    .filter((path) => path.endsWith(".ts") && !path.endsWith(".test.ts"))
    .map((path) => join(folder, path));
}

/** Repository-relative targets of a file's relative imports. */
function importedFiles(file: string): string[] {
  const text = readFileSync(join(ROOT, file), "utf8");
  return [...text.matchAll(IMPORT)]
    .map((match) => match[1] ?? "")
    .filter((spec) => spec.startsWith("."))
    .map((spec) => relative(ROOT, normalize(join(ROOT, dirname(file), spec))));
}

function importsInto(folders: string[], forbidden: (target: string) => boolean): string[] {
  return folders.flatMap((folder) =>
    sources(folder).flatMap((file) =>
      importedFiles(file)
        .filter(forbidden)
        .map((target) => `${file} imports ${target}`),
    ),
  );
}

describe("direction of imports", () => {
  it("keeps the catalogue a leaf: it imports only its own files", () => {
    expect(importsInto(["catalogue"], (target) => !target.startsWith("catalogue/"))).toEqual([]);
  });

  it("keeps components and stacks below the program and the planner: nothing of infra/ is imported", () => {
    expect(importsInto(["components", "stacks"], (target) => target.startsWith("infra/"))).toEqual([]);
  });

  it("finds the imports it checks", () => {
    // A pattern that matched nothing would pass the two checks above whatever the imports were.
    expect(importedFiles("components/media/node-sizing.ts")).toContain("catalogue/droplet-sizes.ts");
    expect(importedFiles("infra/capacity/planner.ts")).toContain("catalogue/room-model.ts");
  });
});
