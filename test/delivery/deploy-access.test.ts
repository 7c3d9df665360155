import { copyFileSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { execFileAsync, freePort } from "../support/processes.ts";
import { parseWorkflow, type Workflow, type WorkflowJob } from "./workflow-rules.ts";

/**
 * How CI reaches a closed control plane (the runner's address admitted for one run) and the supply-chain checks
 * of pull requests. The access script runs for real against a local stand-in of the DigitalOcean API.
 */
const ROOT = resolve(import.meta.dirname, "../..");
const WORKFLOWS = join(ROOT, ".github/workflows");
const SCRIPT = join(ROOT, ".github/deploy/control-plane-access.ts");
const TSX = join(ROOT, "node_modules/.bin/tsx");
const CLUSTER_ID = "bd5f5959-5e1e-4205-a714-a914373942af";
const TOKEN = "dop_v1_deploy_access_test_token_0123456789";

const workflows = new Map<string, Workflow>(
  readdirSync(WORKFLOWS)
    .filter((f) => f.endsWith(".yml"))
    .map((f) => [f, parseWorkflow(readFileSync(join(WORKFLOWS, f), "utf8"))]),
);
type Step = NonNullable<WorkflowJob["steps"]>[number] & {
  name?: string;
  if?: string;
  with?: Record<string, unknown>;
};
const stepsOf = (job: WorkflowJob) => (job.steps ?? []) as Step[];

describe("CI reaches the closed control plane only for its run", () => {
  const deployJobs = [...workflows].flatMap(([file, w]) =>
    Object.entries(w.jobs ?? {})
      .filter(([, job]) => stepsOf(job).some((s) => /pulumi up /.test(s.run ?? "")))
      .map(([name, job]) => ({ where: `${file} ${name}`, job })),
  );

  it("every job that runs pulumi up admits its runner first and removes it whatever happened", () => {
    expect(deployJobs.map((j) => j.where).sort()).toEqual([
      "main.yml deploy-staging",
      "production.yml deploy",
      "production.yml rollback",
    ]);
    for (const { where, job } of deployJobs) {
      const steps = stepsOf(job);
      const admit = steps.findIndex((s) => /control-plane-access\.ts admit/.test(s.run ?? ""));
      const up = steps.findIndex((s) => /pulumi up /.test(s.run ?? ""));
      const kube = steps.findIndex((s) => /kubectl /.test(s.run ?? ""));
      const release = steps.findIndex((s) => /control-plane-access\.ts release/.test(s.run ?? ""));
      expect(admit, where).toBeGreaterThanOrEqual(0);
      expect(admit, where).toBeLessThan(up);
      if (kube >= 0) expect(admit, where).toBeLessThan(kube);
      expect(release, where).toBeGreaterThan(up);
      expect(steps[release]?.if, where).toContain("always()");
    }
  });
});

describe("supply-chain checks on every pull request", () => {
  const pr = workflows.get("pr-checks.yml") as Workflow;
  const jobs = pr.jobs ?? {};

  it("audits the dependency tree at high severity without installing it", () => {
    const runs = stepsOf(jobs.dependencies as WorkflowJob).map((s) => s.run ?? "");
    expect(runs).toContain("npm audit --audit-level=high");
    expect(runs.join("\n")).not.toMatch(/npm (ci|install)/);
  });

  it("builds every image main.yml pushes, from the same Dockerfile, and fails on high or critical findings", () => {
    const main = workflows.get("main.yml") as Workflow;
    const images = main.jobs?.images as { strategy?: { matrix?: { service?: string[] } } } | undefined;
    const pushed = images?.strategy?.matrix?.service;
    const scan = jobs["image-scan"] as WorkflowJob & { strategy?: { matrix?: { service?: string[] } } };
    expect(scan.strategy?.matrix?.service).toEqual(pushed);
    const steps = stepsOf(scan);
    expect(steps.map((s) => s.run ?? "").join("\n")).toContain(
      'docker build -f apps/Dockerfile --build-arg "SERVICE=$SERVICE"',
    );
    const trivy = steps.find((s) => s.uses?.startsWith("aquasecurity/trivy-action@"));
    expect(trivy?.uses).toMatch(/@[0-9a-f]{40}$/);
    expect(trivy?.with).toMatchObject({ severity: "HIGH,CRITICAL", "exit-code": "1" });
  });
});

interface Recorded {
  method: string;
  url: string;
  auth: string;
  body: unknown;
}

describe("control-plane-access against a stand-in DigitalOcean API", () => {
  let server: Server;
  let base: string;
  const requests: Recorded[] = [];
  let allowed: string[] = ["203.0.113.0/24"];
  let runnerAddress = "198.51.100.77";
  let failPut = false;

  const body = async (req: IncomingMessage) => {
    let text = "";
    for await (const chunk of req) text += chunk;
    return text ? JSON.parse(text) : undefined;
  };

  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    server = createServer(async (req, res) => {
      const payload = await body(req);
      requests.push({
        method: req.method ?? "",
        url: req.url ?? "",
        auth: req.headers.authorization ?? "",
        body: payload,
      });
      if (req.url === "/ip") return res.end(`${runnerAddress}\n`);
      if (req.url === "/version") return res.writeHead(401).end();
      if (req.url !== `/v2/kubernetes/clusters/${CLUSTER_ID}`)
        return res.writeHead(404).end('{"id":"not_found"}');
      if (req.method === "PUT") {
        if (failPut)
          return res.writeHead(422).end('{"id":"unprocessable_entity","message":"invalid address"}');
        allowed = (payload as { control_plane_firewall: { allowed_addresses: string[] } })
          .control_plane_firewall.allowed_addresses;
      }
      res.setHeader("content-type", "application/json");
      res.end(
        JSON.stringify({
          kubernetes_cluster: {
            name: "gomeet-production-doks",
            endpoint: base,
            control_plane_firewall: { enabled: true, allowed_addresses: allowed },
          },
        }),
      );
    });
    await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  async function run(args: string[], cwd: string) {
    const env = {
      ...process.env,
      DIGITALOCEAN_TOKEN: TOKEN,
      DIGITALOCEAN_API_URL: base,
      RUNNER_ADDRESS_URL: `${base}/ip`,
      CONTROL_PLANE_READY_SECONDS: "10",
      GITHUB_ENV: join(cwd, "github-env"),
    };
    try {
      const { stdout, stderr } = await execFileAsync(TSX, [SCRIPT, ...args], { cwd, env });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const e = error as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  }

  function checkout(): string {
    const dir = mkdtempSync(join(tmpdir(), "gomeet-access-"));
    copyFileSync(join(ROOT, "Pulumi.production.yaml"), join(dir, "Pulumi.production.yaml"));
    return dir;
  }

  it("admits the runner's /32 in the firewall and the checkout's stack file, then releases it", async () => {
    const dir = checkout();
    const admit = await run(["admit", "--stack", "production", "--cluster-id", CLUSTER_ID], dir);
    expect(admit.stderr).toBe("");
    expect(admit.code).toBe(0);
    expect(allowed).toEqual(["203.0.113.0/24", "198.51.100.77/32"]);
    const put = requests.find((r) => r.method === "PUT");
    expect(put?.body).toEqual({
      name: "gomeet-production-doks",
      control_plane_firewall: { enabled: true, allowed_addresses: ["203.0.113.0/24", "198.51.100.77/32"] },
    });
    expect(put?.auth).toBe(`Bearer ${TOKEN}`);
    expect(requests.some((r) => r.url === "/version")).toBe(true);
    const stackFile = readFileSync(join(dir, "Pulumi.production.yaml"), "utf8");
    const config = parse(stackFile).config;
    expect(config["gomeet:overrides"].cluster.controlPlaneAllowList).toEqual([
      "203.0.113.0/24",
      "198.51.100.77/32",
    ]);
    // Comments and encrypted values survive the edit.
    expect(stackFile).toContain("# Production:");
    expect(config["gomeet:alertSlackWebhookUrl"].secure).toMatch(/^v1:/);
    expect(readFileSync(join(dir, "github-env"), "utf8")).toBe("RUNNER_CIDR=198.51.100.77/32\n");

    const release = await run(
      ["release", "--stack", "production", "--cluster-id", CLUSTER_ID, "--cidr", "198.51.100.77/32"],
      dir,
    );
    expect(release.code).toBe(0);
    expect(allowed).toEqual(["203.0.113.0/24"]);
  });

  it("refuses an answer that is not an IPv4 address, naming where it came from", async () => {
    runnerAddress = "<html>rate limited</html>";
    const result = await run(["admit", "--stack", "production", "--cluster-id", CLUSTER_ID], checkout());
    runnerAddress = "198.51.100.77";
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `runner address: expected an IPv4 address from ${base}/ip, got "<html>rate limited</html>"`,
    );
  });

  it("reports the API's refusal with its status and never prints the token", async () => {
    failPut = true;
    const result = await run(["admit", "--stack", "production", "--cluster-id", CLUSTER_ID], checkout());
    failPut = false;
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`PUT /v2/kubernetes/clusters/${CLUSTER_ID}: DigitalOcean answered 422`);
    expect(result.stderr + result.stdout).not.toContain(TOKEN);
  });

  it("checks its arguments before calling anything", async () => {
    const result = await run(["admit", "--stack", "production", "--cluster-id", "not-a-uuid"], checkout());
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      '--cluster-id: expected the cluster\'s UUID (pulumi stack output clusterId), got "not-a-uuid"',
    );
  });
});
