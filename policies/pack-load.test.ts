import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { freePort, stopProcess, waitFor } from "../test/support/processes.ts";
import { RULES } from "./rules.ts";

/**
 * Starts the pack the way `pulumi preview --policy-pack policies` does, without our own loader: the CLI runs the
 * `pulumi-analyzer-policy` plugin in the pack's directory, which resolves `@pulumi/pulumi/cmd/run-policy-pack`
 * from there and runs it with node, passing the engine address, `.` and the runtime options of
 * PulumiPolicy.yaml (pulumi/pulumi pkg/resource/plugin/analyzer_plugin.go `NewPolicyAnalyzer`). That runner
 * registers ts-node and require()s the package's `main`; the pack then prints its gRPC port. The test drives
 * the real Analyzer gRPC service the CLI would call.
 */

const PACK_DIR = import.meta.dirname;
const requireFromPack = createRequire(join(PACK_DIR, "package.json"));
const grpc = requireFromPack("@grpc/grpc-js");
const analyzerRpc = requireFromPack("@pulumi/pulumi/proto/analyzer_grpc_pb");
const analyzerProto = requireFromPack("@pulumi/pulumi/proto/analyzer_pb");
const { Empty } = requireFromPack("google-protobuf/google/protobuf/empty_pb");
const { Struct } = requireFromPack("google-protobuf/google/protobuf/struct_pb");

interface Diagnostic {
  getPolicyname(): string;
  getMessage(): string;
  getUrn(): string;
  getEnforcementlevel(): number;
}

let runner: ChildProcess | undefined;
let stdout = "";
let stderr = "";
let client: {
  getAnalyzerInfo: (
    req: unknown,
    cb: (e: Error | null, r: { getPoliciesList(): { getName(): string }[] }) => void,
  ) => void;
  analyzeStack: (
    req: unknown,
    cb: (e: Error | null, r: { getDiagnosticsList(): Diagnostic[] }) => void,
  ) => void;
  close(): void;
};

function runtimeOptionArgs(): string[] {
  const project = parse(readFileSync(join(PACK_DIR, "PulumiPolicy.yaml"), "utf8")) as {
    runtime: string | { options?: Record<string, unknown> };
  };
  const options = typeof project.runtime === "string" ? {} : (project.runtime.options ?? {});
  return Object.entries(options)
    .filter(([, v]) => `${v}` !== "")
    .map(([k, v]) => `-${k}=${v}`);
}

beforeAll(async () => {
  // What the plugin script does: `node -e "require.resolve('@pulumi/pulumi/cmd/run-policy-pack')"` in the pack.
  const runPolicyPack = execFileSync(
    process.execPath,
    ["-e", "console.log(require.resolve('@pulumi/pulumi/cmd/run-policy-pack'))"],
    { cwd: PACK_DIR, encoding: "utf8" },
  ).trim();
  const engine = `127.0.0.1:${await freePort()}`;
  runner = spawn(process.execPath, [runPolicyPack, engine, ".", ...runtimeOptionArgs()], {
    cwd: PACK_DIR,
    env: { PATH: process.env.PATH, HOME: process.env.HOME },
    stdio: ["ignore", "pipe", "pipe"],
  });
  runner.stdout?.on("data", (d: Buffer) => {
    stdout += d.toString();
  });
  runner.stderr?.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  await waitFor(
    "the policy pack to print its gRPC port",
    async () => runner?.exitCode !== null || /^\d+$/m.test(stdout),
    90_000,
  );
  if (runner.exitCode !== null) {
    throw new Error(`the policy runner exited with ${runner.exitCode}:\n${stdout}\n${stderr}`);
  }
  const port = /^(\d+)$/m.exec(stdout)?.[1];
  client = new analyzerRpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
}, 120_000);

afterAll(async () => {
  client?.close();
  if (runner) await stopProcess(runner);
});

function call<T>(method: (req: unknown, cb: (e: Error | null, r: T) => void) => void, req: unknown) {
  return new Promise<T>((resolve, reject) =>
    method.call(client, req, (error, response) => (error ? reject(error) : resolve(response))),
  );
}

function stackResource(r: {
  urn: string;
  type: string;
  props: Record<string, unknown>;
  protect?: boolean;
  dependencies?: string[];
}) {
  const resource = new analyzerProto.AnalyzerResource();
  resource.setUrn(r.urn);
  resource.setType(r.type);
  resource.setName(r.urn.split("::").pop());
  resource.setProperties(Struct.fromJavaScript(r.props));
  const options = new analyzerProto.AnalyzerResourceOptions();
  options.setProtect(r.protect ?? false);
  resource.setOptions(options);
  resource.setDependenciesList(r.dependencies ?? []);
  return resource;
}

describe("the policy pack under Pulumi's own policy runner", () => {
  it("starts (no TypeScript or module errors) and serves every rule of the pack", async () => {
    expect(stderr).not.toMatch(/TSError|TS5097|ERR_REQUIRE|Cannot find module/);
    const info = await call(client.getAnalyzerInfo, new Empty());
    expect(
      info
        .getPoliciesList()
        .map((p) => p.getName())
        .sort(),
    ).toEqual(RULES.map((r) => r.name).sort());
  });

  it("reports stack violations over gRPC with the resource's URN, from options and dependencies", async () => {
    const prefix = "urn:pulumi:eph-bob::gomeet::";
    const namespace = `${prefix}kubernetes:core/v1:Namespace::baseline-ns-media`;
    const request = new analyzerProto.AnalyzeStackRequest();
    request.setResourcesList([
      stackResource({
        urn: `${prefix}digitalocean:index/domain:Domain::dns-zone`,
        type: "digitalocean:index/domain:Domain",
        props: { name: "eph-bob.dev.gomeet.app" },
        protect: true,
      }),
      stackResource({
        urn: namespace,
        type: "kubernetes:core/v1:Namespace",
        props: { apiVersion: "v1", kind: "Namespace", metadata: { name: "media" } },
      }),
      stackResource({
        urn: `${prefix}kubernetes:core/v1:ConfigMap::after`,
        type: "kubernetes:core/v1:ConfigMap",
        props: { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "after", namespace: "media" } },
        dependencies: [namespace],
      }),
      stackResource({
        urn: `${prefix}kubernetes:core/v1:ConfigMap::racing`,
        type: "kubernetes:core/v1:ConfigMap",
        props: { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "racing", namespace: "media" } },
      }),
    ]);
    const response = await call(client.analyzeStack, request);
    const found = response
      .getDiagnosticsList()
      .map((d) => ({ policy: d.getPolicyname(), urn: d.getUrn(), message: d.getMessage() }));
    expect(found).toContainEqual(
      expect.objectContaining({
        policy: "no-protect-on-ephemeral",
        urn: `${prefix}digitalocean:index/domain:Domain::dns-zone`,
      }),
    );
    const namespaceFindings = found.filter((d) => d.policy === "namespaced-objects-after-namespace");
    expect(namespaceFindings.map((d) => d.urn)).toEqual([`${prefix}kubernetes:core/v1:ConfigMap::racing`]);
    expect(namespaceFindings[0]?.message).toMatch(/does not depend on Namespace media/);
  });
});
