import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseRuntimeConfig } from "../../apps/web/src/runtime-config.ts";
import { type PlanGraph, type PlannedResource, recordProgram } from "../../infra/plan/engine.ts";
import { runPlatformProgram } from "../../infra/program.ts";
import { loadPlatformConfig } from "../../stacks/loader.ts";
import { named, ofType } from "./stack-helpers.ts";

const OBJECT = "digitalocean:index/spacesBucketObject:SpacesBucketObject";
// Stacks that expose the Kubernetes API name the addresses allowed to reach it (stacks/rules.ts).
const ALLOW_LIST = { cluster: { controlPlaneAllowList: ["203.0.113.7/32"] } };
const STACKS = [
  { stack: "staging", environment: "staging", overrides: ALLOW_LIST },
  { stack: "eph-dana", environment: "ephemeral", overrides: {} },
] as const;

/** A build shaped like Vite's output: an entry, hashed bundles, an unhashed icon, and the app's route list. */
function writeBuild(dir: string): Record<string, string> {
  const files: Record<string, string> = {
    "index.html": '<!doctype html><script type="module" src="/assets/index-Ab3dE_f9.js"></script>',
    "assets/index-Ab3dE_f9.js": "console.log('app');\n",
    "assets/index-Zz81-kQ0.css": "body { margin: 0 }\n",
    "assets/MeetingRoom-q1W2e3R4.js": "export const room = 1;\n",
    "favicon.svg": '<svg xmlns="http://www.w3.org/2000/svg"/>',
  };
  for (const [key, content] of Object.entries(files)) {
    mkdirSync(join(dir, key, ".."), { recursive: true });
    writeFileSync(join(dir, key), content);
  }
  writeFileSync(join(dir, "spa-routes.json"), JSON.stringify(["/signin", "/meetings/new"]));
  return files;
}

async function planWith(
  stack: string,
  environment: string,
  overrides: object,
  config: Record<string, string>,
): Promise<PlanGraph> {
  return await recordProgram({
    project: "gomeet",
    stack,
    config: { "gomeet:environment": environment, "gomeet:overrides": JSON.stringify(overrides), ...config },
    secretKeys: [],
    // What `pulumi up` runs: the build is required.
    program: () => runPlatformProgram(),
  });
}

const env = (r: PlannedResource): Record<string, string> => {
  const spec = (
    r.inputs.spec as { template: { spec: { containers: { env: { name: string; value?: string }[] }[] } } }
  ).template.spec;
  return Object.fromEntries((spec.containers[0]?.env ?? []).map((e) => [e.name, e.value ?? ""]));
};

let buildDir: string;
let files: Record<string, string>;
beforeAll(() => {
  buildDir = mkdtempSync(join(tmpdir(), "gomeet-web-build-"));
  files = writeBuild(buildDir);
});
afterAll(() => rmSync(buildDir, { recursive: true, force: true }));

describe.each(STACKS)("web app served by the stack — $stack", ({ stack, environment, overrides }) => {
  const config = loadPlatformConfig({ environment, overrides, stack });
  const origin = `https://meet.${config.domain}`;
  let graph: PlanGraph;
  let objects: Map<string, PlannedResource>;
  beforeAll(async () => {
    graph = await planWith(stack, environment, overrides, { "gomeet:webBuild": buildDir });
    objects = new Map(ofType(graph, OBJECT).map((o) => [String(o.inputs.key), o]));
  }, 120_000);

  it("uploads one object per build file, a copy of index.html per client route, and config.json", () => {
    expect([...objects.keys()].sort()).toEqual(
      [...Object.keys(files), "signin", "meetings/new", "config.json"].sort(),
    );
    const bucket = named(graph, "digitalocean:index/spacesBucket:SpacesBucket", "storage-assets").inputs.name;
    for (const object of objects.values()) {
      expect(object.inputs).toMatchObject({ bucket, region: config.region, acl: "public-read" });
    }
    for (const [key, content] of Object.entries(files)) {
      const object = objects.get(key)!;
      expect(object.inputs.source).toBe(join(buildDir, key));
      expect(object.inputs.etag).toBe(createHash("md5").update(content).digest("hex"));
    }
    for (const route of ["signin", "meetings/new"]) {
      expect(objects.get(route)!.inputs).toMatchObject({
        source: join(buildDir, "index.html"),
        contentType: "text/html; charset=utf-8",
        cacheControl: "no-cache",
      });
    }
  });

  it("gives each object its content type and caching: hashed assets for a year, the entry and config never", () => {
    const headers = Object.fromEntries(
      [...objects].map(([key, o]) => [key, [o.inputs.contentType, o.inputs.cacheControl]]),
    );
    expect(headers).toMatchObject({
      "index.html": ["text/html; charset=utf-8", "no-cache"],
      "config.json": ["application/json", "no-cache"],
      "assets/index-Ab3dE_f9.js": ["text/javascript; charset=utf-8", "public, max-age=31536000, immutable"],
      "assets/MeetingRoom-q1W2e3R4.js": [
        "text/javascript; charset=utf-8",
        "public, max-age=31536000, immutable",
      ],
      "assets/index-Zz81-kQ0.css": ["text/css; charset=utf-8", "public, max-age=31536000, immutable"],
      "favicon.svg": ["image/svg+xml", "public, max-age=3600"],
    });
  });

  it("writes this stack's API, chat and LiveKit addresses into config.json, in the shape the app accepts", () => {
    const content = String(objects.get("config.json")!.inputs.content);
    const parsed = parseRuntimeConfig(JSON.parse(content));
    expect(parsed).toEqual({
      authUrl: `https://api.${config.domain}`,
      meetingsUrl: `https://api.${config.domain}`,
      chatUrl: `https://api.${config.domain}`,
      livekitUrl: `wss://livekit.${config.domain}`,
    });
  });

  it("serves the bucket through the CDN on meet.<domain> with a Let's Encrypt certificate and a DNS record", () => {
    const cdn = named(graph, "digitalocean:index/cdn:Cdn", "storage-cdn");
    expect(cdn.inputs.customDomain).toBe(`meet.${config.domain}`);
    const bucket = named(graph, "digitalocean:index/spacesBucket:SpacesBucket", "storage-assets");
    expect(cdn.inputs.origin).toBe(`${bucket.inputs.name}.${config.region}.digitaloceanspaces.com`);
    const cert = named(graph, "digitalocean:index/certificate:Certificate", "storage-cdn-cert");
    expect(cert.inputs).toMatchObject({ type: "lets_encrypt", domains: [`meet.${config.domain}`] });
    expect(cdn.inputs.certificateName).toBe(cert.inputs.name);
    const record = named(graph, "digitalocean:index/dnsRecord:DnsRecord", "storage-dns-meet");
    expect(record.inputs).toMatchObject({ domain: config.domain, name: "meet", type: "CNAME" });
    expect(record.inputs.value).toBe(`${bucket.inputs.name}.${config.region}.cdn.digitaloceanspaces.com.`);
    expect(ofType(graph, "digitalocean:index/dnsRecord:DnsRecord").map((r) => r.inputs.name)).not.toContain(
      "cdn",
    );
  });

  it("checks uptime on a file the stack uploads", () => {
    const checks = ofType(graph, "digitalocean:index/uptimeCheck:UptimeCheck");
    if (!config.monitoring.uptimeChecks) {
      expect(checks).toHaveLength(0);
      return;
    }
    const web = checks.filter((c) => String(c.inputs.target).startsWith(`${origin}/`));
    expect(web).toHaveLength(1);
    const key = String(web[0]!.inputs.target).slice(origin.length + 1);
    expect(objects.has(key), `uptime target ${key} is an uploaded object`).toBe(true);
  });

  it("allows the app's origin, and only it, on every API and on chat's socket", () => {
    for (const service of ["auth", "meetings", "chat"]) {
      const deployment = named(graph, "kubernetes:apps/v1:Deployment", `${service}-deployment`);
      expect(env(deployment).CORS_ALLOWED_ORIGIN, service).toBe(origin);
    }
    expect(env(named(graph, "kubernetes:apps/v1:Deployment", "chat-deployment")).CHAT_ALLOWED_ORIGINS).toBe(
      origin,
    );
  });

  it("names the app's address in the stack outputs", () => {
    expect(graph.outputs.webUrl).toBe(origin);
  });
});

describe("web build missing or unusable", () => {
  it("fails a deploy without a build, naming the command that makes one", async () => {
    const missing = join(buildDir, "nothing-here");
    await expect(planWith("staging", "staging", ALLOW_LIST, { "gomeet:webBuild": missing })).rejects.toThrow(
      `gomeet:webBuild: expected a directory holding the web app's build, got "${missing}" (not found)`,
    );
  });

  it("refuses a build that carries its own config.json (the stack writes that one)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gomeet-web-build-"));
    try {
      writeFileSync(join(dir, "index.html"), "<!doctype html>");
      writeFileSync(join(dir, "config.json"), "{}");
      await expect(planWith("staging", "staging", ALLOW_LIST, { "gomeet:webBuild": dir })).rejects.toThrow(
        /contains config\.json, which the stack writes per stack/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
