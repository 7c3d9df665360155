import type { ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Counter, Histogram, Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { gateQueries, judge, queryScalar } from "../../.github/deploy/canary-gate.ts";
import {
  execFileAsync,
  findExecutable,
  freePort,
  spawnServer,
  stopProcess,
  waitFor,
} from "../support/processes.ts";

/**
 * The production canary gate against a real Prometheus: three loopback "pods" expose the services' metrics
 * (names, labels and buckets from docs/metrics.md) through prom-client, Prometheus scrapes them every second
 * with the `pod` target label the Operator would add, and the gate's own queries decide.
 */
const ROOT = resolve(import.meta.dirname, "../..");
const GATE = join(ROOT, ".github/deploy/canary-gate.ts");
const TSX_CLI = join(ROOT, "node_modules/tsx/dist/cli.mjs");
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

interface FakePod {
  pod: string;
  server: Server;
  port: number;
  timer: NodeJS.Timeout;
}

/** A replica that answers `perTick` requests every 100 ms with the given failure share and latency. */
async function startPod(pod: string, service: string, failShare: number, latency: number): Promise<FakePod> {
  const registry = new Registry();
  const requests = new Counter({
    name: "gomeet_http_requests_total",
    help: "requests answered",
    labelNames: ["service", "method", "route", "status"],
    registers: [registry],
  });
  const duration = new Histogram({
    name: "gomeet_http_request_duration_seconds",
    help: "request latency",
    labelNames: ["service", "method", "route"],
    buckets: BUCKETS,
    registers: [registry],
  });
  let n = 0;
  const timer = setInterval(() => {
    for (let i = 0; i < 10; i++) {
      n++;
      const status = n % Math.round(1 / failShare || Number.POSITIVE_INFINITY) === 0 ? "500" : "200";
      requests.inc({ service, method: "GET", route: "/v1/meetings/:id", status });
      duration.observe({ service, method: "GET", route: "/v1/meetings/:id" }, latency);
    }
  }, 100);
  const server = createServer(async (_req, res) => {
    res.setHeader("content-type", registry.contentType);
    res.end(await registry.metrics());
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
  return { pod, server, port, timer };
}

let prometheus: { child: ChildProcess; output: () => string } | undefined;
let promUrl = "";
const pods: FakePod[] = [];

beforeAll(async () => {
  const binary = findExecutable("prometheus");
  if (!binary) throw new Error("prometheus is not installed: run bash scripts/install-test-deps.sh");
  pods.push(
    await startPod("auth-canary-5f7c9d-x2k4q", "auth", 0, 0.02),
    await startPod("auth-7b9d8c-p9r2m", "auth", 0.5, 0.7),
    await startPod("chat-canary-66d4b-z7w1c", "chat", 0.1, 0.3),
  );
  const dir = mkdtempSync(join(tmpdir(), "gomeet-canary-"));
  const config = {
    global: { scrape_interval: "1s", evaluation_interval: "1s" },
    scrape_configs: [
      {
        job_name: "services",
        static_configs: pods.map((p) => ({ targets: [`127.0.0.1:${p.port}`], labels: { pod: p.pod } })),
      },
    ],
  };
  writeFileSync(join(dir, "prometheus.yml"), stringify(config));
  const port = await freePort();
  promUrl = `http://127.0.0.1:${port}`;
  prometheus = spawnServer(binary, [
    `--config.file=${join(dir, "prometheus.yml")}`,
    `--storage.tsdb.path=${join(dir, "data")}`,
    `--web.listen-address=127.0.0.1:${port}`,
  ]);
  // Enough scrapes that a 1m window holds several samples of every target.
  await waitFor(
    "six scrapes of every pod",
    async () =>
      (await queryScalar(promUrl, "min(count_over_time(up[1m]))")) !== undefined &&
      ((await queryScalar(promUrl, "min(count_over_time(up[1m]))")) ?? 0) >= 6,
    60_000,
  );
}, 90_000);

afterAll(async () => {
  for (const p of pods) {
    clearInterval(p.timer);
    p.server.close();
  }
  if (prometheus) await stopProcess(prometheus.child);
});

async function gate(args: string[]) {
  const summary = join(mkdtempSync(join(tmpdir(), "gomeet-gate-")), "summary.md");
  writeFileSync(summary, "");
  try {
    const { stdout, stderr } = await execFileAsync(
      process.execPath,
      [TSX_CLI, GATE, "--prometheus", promUrl, ...args],
      {
        env: { ...process.env, GITHUB_STEP_SUMMARY: summary },
      },
    );
    return { code: 0, stdout, stderr, summary: readFileSync(summary, "utf8") };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr, summary: readFileSync(summary, "utf8") };
  }
}

describe("canary gate against Prometheus", () => {
  it("passes a healthy canary even while a stable replica of the same service is failing", async () => {
    const out = await gate(["--services", "auth", "--window", "1m", "--min-requests", "20"]);
    expect(out.stderr).toContain("canary gate: passed");
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/\| auth \| \d+ \| 0\.00% \| \d+ ms \| pass \|/);
    expect(out.summary).toBe(`${out.stdout}\n`);
  });

  it("fails a canary over the 5xx and p99 limits, naming both, and one with no traffic", async () => {
    const out = await gate(["--services", "auth,chat,meetings", "--window", "1m", "--min-requests", "20"]);
    expect(out.code).toBe(1);
    // Every tenth request fails; Prometheus' rate() sees a window whose ends fall anywhere in that cycle, so the
    // measured share is 10 % give or take a request or two (9.99 % has been seen).
    const chat = out.stdout.match(
      /\| chat \| \d+ \| (\d+\.\d\d)% \| \d+ ms \| FAIL: 5xx ratio (\d+\.\d\d)% > 1\.00%; p99 \d+ ms > 100 ms \|/,
    );
    expect(chat, out.stdout).not.toBeNull();
    const [, shown, named] = chat ?? [];
    expect(named).toBe(shown);
    expect(Number(shown)).toBeGreaterThan(9);
    expect(Number(shown)).toBeLessThan(11);
    expect(out.stdout).toMatch(/\| meetings \| 0 \| – \| – \| FAIL: only 0 requests in the window, need 20/);
    expect(out.stdout).toMatch(/\| auth \| .* pass \|/);
    expect(out.stderr).toContain("canary gate: FAILED for chat, meetings");
  });

  it("judges the whole service after the rollout with a wider pod pattern", async () => {
    const out = await gate([
      "--services",
      "auth",
      "--pods",
      "{service}-.+",
      "--window",
      "1m",
      "--min-requests",
      "20",
    ]);
    expect(out.code).toBe(1);
    expect(out.stdout).toMatch(/FAIL: 5xx ratio 2\d\.\d\d% > 1\.00%; p99 \d+ ms > 100 ms/);
  });

  it("refuses malformed options with the option, the rule and the value", async () => {
    const out = await gate(["--services", "auth", "--window", "ten minutes"]);
    expect(out.code).toBe(2);
    expect(out.stderr).toContain('--window: expected a Prometheus duration such as 10m, got "ten minutes"');
  });

  it("uses the metric names of docs/metrics.md", () => {
    const contract = readFileSync(join(ROOT, "docs/metrics.md"), "utf8");
    const q = gateQueries("auth-canary-.+", "10m");
    for (const name of [
      ...Object.values(q)
        .join(" ")
        .matchAll(/gomeet_[a-z_]+/g),
    ].map((m) => m[0])) {
      expect(contract).toContain(`\`${name.replace(/_bucket$/, "")}\``);
    }
    expect(
      judge(
        { service: "x", requests: 1000, errors: 10, p99Seconds: 0.1 },
        {
          maxErrorRatio: 0.01,
          maxP99Seconds: 0.1,
          minRequests: 100,
        },
      ).passed,
    ).toBe(true);
  });
});
