import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { entryCommand, SERVICE_UID } from "../../components/apps/workload-spec.ts";
import { PROJECT_ROOT } from "../../infra/plan/plan.ts";
import { DEV_SERVICES } from "../../scripts/dev.ts";

const dockerfile = readFileSync(join(PROJECT_ROOT, "apps/Dockerfile"), "utf8");
const IMAGES = ["auth", "meetings", "chat", "turn-prober"] as const;

/** The shell command of the image's exec-form CMD, with `$SERVICE` as the image bakes it in. */
function imageCommand(service: string): string[] {
  const cmd = /^CMD (\[.*\])$/m.exec(dockerfile)?.[1];
  if (!cmd) throw new Error("apps/Dockerfile has no exec-form CMD");
  const argv = JSON.parse(cmd) as string[];
  expect(argv.slice(0, 2)).toEqual(["sh", "-c"]);
  const script = argv[2]!.replace(/\$SERVICE/g, service);
  expect(script.startsWith("exec ")).toBe(true);
  return script.slice("exec ".length).split(" ");
}

describe("one set of entry points for images, the stack and npm run dev", () => {
  it.each(IMAGES)("%s: the image starts the file the stack and dev run, and it exists", (service) => {
    expect(imageCommand(service)).toEqual(entryCommand(service, "server"));
    expect(existsSync(join(PROJECT_ROOT, entryCommand(service, "server")[3]!))).toBe(true);
  });

  it.each(DEV_SERVICES)("%s: has the migrate entry point the migration Job and dev run", (service) => {
    expect(existsSync(join(PROJECT_ROOT, entryCommand(service, "migrate")[3]!))).toBe(true);
  });

  it("dev runs exactly the three control-plane services", () => {
    expect([...DEV_SERVICES]).toEqual(["auth", "meetings", "chat"]);
  });

  it("builds production dependencies only, on Node 20, as the user the pods run as, without HEALTHCHECK", () => {
    expect(dockerfile).toMatch(/^RUN npm ci --omit=dev /m);
    expect(dockerfile).toMatch(/^FROM node:20\.\d+\.\d+-bookworm-slim AS deps$/m);
    expect(dockerfile).toContain(`USER ${SERVICE_UID}:${SERVICE_UID}`);
    expect(dockerfile).not.toMatch(/^HEALTHCHECK/m);
    expect(dockerfile).toContain("COPY apps/shared ./apps/shared");
    expect(dockerfile).toMatch(/^COPY apps\/\$\{SERVICE\} \.\/apps\/\$\{SERVICE\}$/m);
    const pkg = JSON.parse(readFileSync(join(PROJECT_ROOT, "package.json"), "utf8")) as {
      dependencies: Record<string, string>;
    };
    // What the image installs must be enough to run the services: tsx loads them, and nothing Pulumi is shipped.
    expect(Object.keys(pkg.dependencies)).toContain("tsx");
    expect(Object.keys(pkg.dependencies).filter((d) => d.startsWith("@pulumi/"))).toEqual([]);
  });
});
