import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { isBuiltin } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { imageEntryCommand, SERVICE_UID } from "../../components/apps/workload-spec.ts";
import { execForm, instructions, parseCopy, parseDockerfile } from "./dockerfile.ts";
import { type BuiltStage, buildImage } from "./image-build.ts";
import { type ImageProcess, runToExit, serviceEnvironments, startFromImage } from "./image-run.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const DOCKERFILE = readFileSync(join(ROOT, "apps/Dockerfile"), "utf8");
const IMAGES = ["auth", "meetings", "chat", "turn-prober"] as const;
type Image = (typeof IMAGES)[number];
const WITH_DATABASE = ["auth", "meetings", "chat"] as const;

const packageJson = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
  engines: { node: string };
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
const stages = parseDockerfile(DOCKERFILE);
const runtime = stages.at(-1)!;

function installNodeVersion(): string {
  const script = readFileSync(join(ROOT, "scripts/install-node.sh"), "utf8");
  const version = /^NODE_VERSION=(\d+\.\d+\.\d+)$/m.exec(script)?.[1];
  if (!version) throw new Error("scripts/install-node.sh: no NODE_VERSION=x.y.z line");
  return version;
}

describe("apps/Dockerfile", () => {
  it("has three stages on one pinned Node LTS base: production dependencies, the compile, the runtime", () => {
    expect(stages.map((s) => s.name)).toEqual(["deps", "build", undefined]);
    const base = `node:${installNodeVersion()}-bookworm-slim`;
    for (const stage of stages) expect(stage.image, `stage ${stage.name ?? "runtime"}`).toBe(base);
  });

  it("installs only production dependencies for the image and everything (compiler, types) to compile", () => {
    const [deps, build] = stages;
    expect(instructions(deps!, "RUN").map((r) => r.args)).toEqual([
      expect.stringMatching(/^npm ci --omit=dev --ignore-scripts /),
    ]);
    const buildRuns = instructions(build!, "RUN").map((r) => r.args);
    expect(buildRuns[0]).toMatch(/^npm ci --ignore-scripts /);
    expect(buildRuns).toContain("npx tsc -p tsconfig.build.json --outDir dist");
  });

  it("runs as the pods' non-root user, without HEALTHCHECK, from compiled output and production modules", () => {
    expect(instructions(runtime, "USER").map((u) => u.args)).toEqual([`${SERVICE_UID}:${SERVICE_UID}`]);
    expect(runtime.instructions.at(-1)?.keyword).toBe("CMD");
    expect(stages.flatMap((s) => instructions(s, "HEALTHCHECK"))).toEqual([]);
    const copies = instructions(runtime, "COPY").map(parseCopy);
    // From the build context only package.json (its "type": "module"); no TypeScript source reaches the image.
    expect(copies.filter((c) => c.from === undefined).flatMap((c) => c.sources)).toEqual(["package.json"]);
    expect(copies.filter((c) => c.from === "deps")).toEqual([
      { from: "deps", sources: ["/app/node_modules"], destination: "./node_modules" },
    ]);
    for (const c of copies.filter((c) => c.from === "build")) {
      expect(c.sources.every((s) => s.startsWith("/app/dist/apps/"))).toBe(true);
    }
  });

  it.each(IMAGES)(
    "%s: CMD starts the compiled server the stack runs, with node as the process signals reach",
    (s) => {
      const argv = execForm(instructions(runtime, "CMD")[0]!);
      expect(argv.slice(0, 2)).toEqual(["sh", "-c"]);
      const script = argv[2]!.replace(/\$SERVICE/g, s);
      expect(script.startsWith("exec ")).toBe(true);
      expect(script.slice("exec ".length).split(" ")).toEqual(imageEntryCommand(s, "server"));
    },
  );

  it("one Node line everywhere: engines, .nvmrc, the workflows' setup-node and the test run's Node", () => {
    const major = installNodeVersion().split(".")[0]!;
    expect(packageJson.engines.node).toBe(`>=${major}`);
    expect(readFileSync(join(ROOT, ".nvmrc"), "utf8").trim()).toBe(major);
    const workflows = join(ROOT, ".github/workflows");
    const versions = readdirSync(workflows)
      .filter((f) => f.endsWith(".yml"))
      .flatMap((f) =>
        [...readFileSync(join(workflows, f), "utf8").matchAll(/node-version:\s*(\S+)/g)].map(
          (m) => `${f}: ${m[1]}`,
        ),
      );
    expect(versions.length).toBeGreaterThan(0);
    expect(versions.filter((v) => !v.endsWith(`: ${major}`))).toEqual([]);
  });

  it("ships neither a TypeScript runtime nor the Pulumi SDKs as production dependencies", () => {
    const production = Object.keys(packageJson.dependencies);
    expect(production).not.toContain("tsx");
    expect(production).not.toContain("typescript");
    expect(production.filter((d) => d.startsWith("@pulumi/"))).toEqual([]);
    // The Pulumi program and the policy pack load TypeScript through tsx (Pulumi.yaml, policies/index.cjs).
    expect(Object.keys(packageJson.devDependencies)).toContain("tsx");
  });
});

/** Every file under `dir`, as paths relative to it. */
function files(dir: string, prefix = ""): string[] {
  return readdirSync(join(dir, prefix), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(dir, join(prefix, e.name)) : [join(prefix, e.name)],
  );
}

/** Package names the emitted modules import by bare specifier (static and dynamic). */
function importedPackages(appDir: string): Set<string> {
  const found = new Set<string>();
  for (const file of files(join(appDir, "apps")).filter((f) => f.endsWith(".js"))) {
    const text = readFileSync(join(appDir, "apps", file), "utf8");
    for (const m of text.matchAll(
      /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/gm,
    )) {
      const specifier = (m[1] ?? m[2])!;
      if (specifier.startsWith(".") || isBuiltin(specifier)) continue;
      const parts = specifier.split("/");
      found.add(specifier.startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0]!);
    }
  }
  return found;
}

describe("the image build carried out on this machine", () => {
  const out = mkdtempSync(join(tmpdir(), "gomeet-image-"));
  const images = new Map<Image, BuiltStage>();
  const running: ImageProcess[] = [];

  beforeAll(async () => {
    let previous: BuiltStage[] | undefined;
    for (const service of IMAGES) {
      const built = await buildImage({
        contextDir: ROOT,
        dockerfile: DOCKERFILE,
        buildArgs: { SERVICE: service },
        outDir: join(out, service),
        nodeBinDir: dirname(process.execPath),
        ...(previous ? { reuse: previous } : {}),
      });
      previous = built;
      images.set(service, built.at(-1)!);
    }
  }, 240_000);

  afterAll(async () => {
    for (const p of running.splice(0)) await p.stop(5_000).catch(() => undefined);
    rmSync(out, { recursive: true, force: true });
  });

  it.each(IMAGES)(
    "%s: holds compiled JavaScript only, whose imports are production dependencies",
    (service) => {
      const image = images.get(service)!;
      const app = join(image.root, image.workdir);
      const shipped = files(join(app, "apps"));
      expect(shipped.filter((f) => f.endsWith(".ts"))).toEqual([]);
      expect(shipped).toContain(imageEntryCommand(service, "server")[2]!.slice("apps/".length));
      if (service !== "turn-prober") {
        expect(shipped).toContain(imageEntryCommand(service, "migrate")[2]!.slice("apps/".length));
        expect(shipped.some((f) => f.startsWith(`${service}/migrations/`) && f.endsWith(".sql"))).toBe(true);
      }
      expect(shipped.filter((f) => !f.startsWith(`${service}/`) && !f.startsWith("shared/"))).toEqual([]);
      const needed = [...importedPackages(app)].filter((p) => !(p in packageJson.dependencies));
      expect(needed, "imported by the image's code but not in package.json dependencies").toEqual([]);
      expect(image.env).toMatchObject({ NODE_ENV: "production", SERVICE: service });
    },
  );

  it.each(IMAGES)(
    "%s: refuses to start without its configuration, naming the missing variable",
    async (service) => {
      const image = images.get(service)!;
      const expected = { auth: "DATABASE_URL", meetings: "LIVEKIT_API_SECRET", chat: "CHAT_SHARD_URLS" };
      const result = await runToExit(image, execForm(image.cmd!), {});
      expect(result.code).not.toBe(0);
      expect(result.output).toContain(
        service === "turn-prober" ? "TURN_STATIC_AUTH_SECRET" : expected[service],
      );
    },
  );

  it("auth, meetings and chat: the image's migrations apply, the servers get ready on PostgreSQL and redis-server and end with 0 on SIGTERM", async () => {
    const envs = await serviceEnvironments(inject("postgresAdminUrl"));
    try {
      for (const service of WITH_DATABASE) {
        const image = images.get(service)!;
        const migrate = await runToExit(image, imageEntryCommand(service, "migrate"), envs.env[service]);
        expect(migrate.code, `${service} migrations:\n${migrate.output}`).toBe(0);
        expect(await envs.appliedMigrations(service)).toBeGreaterThan(0);
      }
      for (const service of WITH_DATABASE) {
        const image = images.get(service)!;
        running.push(
          await startFromImage(image, execForm(image.cmd!), envs.env[service], envs.port[service]),
        );
      }
      for (const server of running.splice(0).reverse()) {
        const exit = await server.stop(15_000);
        expect(exit, `${server.service}:\n${server.output()}`).toEqual({ code: 0, signal: null });
      }
    } finally {
      await envs.cleanUp();
    }
  }, 120_000);

  it("turn-prober: serves its probe metrics from the image", async () => {
    const image = images.get("turn-prober")!;
    const envs = await serviceEnvironments(undefined);
    const prober = await startFromImage(
      image,
      execForm(image.cmd!),
      envs.env["turn-prober"],
      envs.port["turn-prober"],
      "/metrics",
    );
    running.push(prober);
    const metrics = await (await fetch(`http://127.0.0.1:${envs.port["turn-prober"]}/metrics`)).text();
    expect(metrics).toMatch(/^# TYPE gomeet_turn_probe_success gauge$/m);
  }, 60_000);
});
