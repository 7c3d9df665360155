import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { entryCommand, imageEntryCommand } from "../../components/apps/workload-spec.ts";
import { PROJECT_ROOT } from "../../infra/plan/plan.ts";
import { DEV_SERVICES } from "../../scripts/dev.ts";

const IMAGES = ["auth", "meetings", "chat", "turn-prober"] as const;

/** The TypeScript file a compiled entry point (`apps/<service>/src/<entry>.js`) is emitted from. */
function sourceOf(compiled: string): string {
  expect(compiled).toMatch(/^apps\/[a-z-]+\/src\/[a-z-]+\.js$/);
  return compiled.replace(/\.js$/, ".ts");
}

// The image's own checks (stages, user, the build carried out and the compiled programs started) are in
// test/delivery/service-image.test.ts.
describe("one set of entry points for images, the stack and npm run dev", () => {
  it.each(IMAGES)("%s: the image runs the compiled form of the file dev runs, and it exists", (service) => {
    const source = sourceOf(imageEntryCommand(service, "server")[2]!);
    expect(existsSync(join(PROJECT_ROOT, source))).toBe(true);
    expect(entryCommand(service, "server")[3]).toBe(source);
  });

  it.each(DEV_SERVICES)("%s: has the migrate entry point the migration Job and dev run", (service) => {
    const source = sourceOf(imageEntryCommand(service, "migrate")[2]!);
    expect(existsSync(join(PROJECT_ROOT, source))).toBe(true);
    expect(entryCommand(service, "migrate")[3]).toBe(source);
  });

  it("dev runs exactly the three control-plane services", () => {
    expect([...DEV_SERVICES]).toEqual(["auth", "meetings", "chat"]);
  });
});
