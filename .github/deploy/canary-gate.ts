import { appendFileSync } from "node:fs";
import { parseArgs } from "node:util";

/**
 * The production rollout's gate: reads the canary pods' request rate, 5xx ratio and p99 latency from Prometheus
 * and fails when any service breaks its limit, so `pulumi up` never moves the rest of the replicas onto a bad
 * image. Metric names and labels are the contract in docs/metrics.md; the default latency limit is the API SLO
 * (p99 under 100 ms, docs/observability.md "SLOs"). Pods are selected by the `pod` label that the Prometheus
 * Operator adds to every ServiceMonitor target, so no service code has to know it is a canary.
 */
export interface GateLimits {
  maxErrorRatio: number;
  maxP99Seconds: number;
  minRequests: number;
}

export interface ServiceReading {
  service: string;
  requests: number;
  errors: number;
  p99Seconds: number | undefined;
}

export interface ServiceVerdict extends ServiceReading {
  passed: boolean;
  problems: string[];
}

const SERVICE_NAME = /^[a-z][a-z0-9-]{0,62}$/;
const WINDOW = /^[1-9][0-9]*[smh]$/;

export function podPattern(template: string, service: string): string {
  return template.replaceAll("{service}", service);
}

export function gateQueries(podRegex: string, window: string) {
  // The pod regex is built from validated service names and a template from the workflow, never from user data.
  const pods = `pod=~"${podRegex}"`;
  return {
    requests: `sum(increase(gomeet_http_requests_total{${pods}}[${window}]))`,
    errors: `sum(increase(gomeet_http_requests_total{${pods},status=~"5.."}[${window}]))`,
    p99: `histogram_quantile(0.99, sum by (le) (rate(gomeet_http_request_duration_seconds_bucket{${pods}}[${window}])))`,
  };
}

export function judge(reading: ServiceReading, limits: GateLimits): ServiceVerdict {
  const problems: string[] = [];
  if (reading.requests < limits.minRequests) {
    problems.push(
      `only ${Math.round(reading.requests)} requests in the window, need ${limits.minRequests} to judge (lengthen the window)`,
    );
  } else {
    const ratio = reading.errors / reading.requests;
    if (ratio > limits.maxErrorRatio) {
      problems.push(`5xx ratio ${(ratio * 100).toFixed(2)}% > ${(limits.maxErrorRatio * 100).toFixed(2)}%`);
    }
    if (reading.p99Seconds === undefined) {
      problems.push("no latency histogram samples");
    } else if (reading.p99Seconds > limits.maxP99Seconds) {
      problems.push(
        `p99 ${(reading.p99Seconds * 1000).toFixed(0)} ms > ${(limits.maxP99Seconds * 1000).toFixed(0)} ms`,
      );
    }
  }
  return { ...reading, passed: problems.length === 0, problems };
}

interface PromVector {
  status: string;
  error?: string;
  data?: { resultType: string; result: { value: [number, string] }[] };
}

/** One instant query; an empty vector is `undefined` (no series matched), NaN is `undefined` too. */
export async function queryScalar(prometheus: string, promql: string): Promise<number | undefined> {
  const url = new URL("/api/v1/query", prometheus);
  url.searchParams.set("query", promql);
  const response = await fetch(url, { signal: AbortSignal.timeout(15_000) });
  const body = (await response.json()) as PromVector;
  if (!response.ok || body.status !== "success" || body.data?.resultType !== "vector") {
    throw new Error(
      `Prometheus query failed (${response.status}): ${body.error ?? "unexpected answer"}: ${promql}`,
    );
  }
  const first = body.data.result[0];
  if (!first) return undefined;
  const value = Number(first.value[1]);
  return Number.isFinite(value) ? value : undefined;
}

export async function readService(
  prometheus: string,
  service: string,
  podTemplate: string,
  window: string,
): Promise<ServiceReading> {
  const q = gateQueries(podPattern(podTemplate, service), window);
  const [requests, errors, p99Seconds] = await Promise.all([
    queryScalar(prometheus, q.requests),
    queryScalar(prometheus, q.errors),
    queryScalar(prometheus, q.p99),
  ]);
  return { service, requests: requests ?? 0, errors: errors ?? 0, p99Seconds };
}

export function renderVerdicts(verdicts: ServiceVerdict[], window: string, podTemplate: string): string {
  const rows = verdicts.map((v) => {
    const ratio = v.requests > 0 ? `${((v.errors / v.requests) * 100).toFixed(2)}%` : "–";
    const p99 = v.p99Seconds === undefined ? "–" : `${(v.p99Seconds * 1000).toFixed(0)} ms`;
    const verdict = v.passed ? "pass" : `FAIL: ${v.problems.join("; ")}`;
    return `| ${v.service} | ${Math.round(v.requests)} | ${ratio} | ${p99} | ${verdict} |`;
  });
  return [
    `#### Canary gate: pods \`${podTemplate}\`, last ${window}`,
    "",
    "| service | requests | 5xx | p99 | verdict |",
    "|---|---|---|---|---|",
    ...rows,
    "",
  ].join("\n");
}

function numberOption(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0)
    throw new Error(`--${name}: expected a non-negative number, got "${value}"`);
  return n;
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      prometheus: { type: "string", default: "http://127.0.0.1:9090" },
      services: { type: "string", default: "auth,meetings,chat" },
      pods: { type: "string", default: "{service}-canary-.+" },
      window: { type: "string", default: "10m" },
      "max-error-ratio": { type: "string" },
      "max-p99-seconds": { type: "string" },
      "min-requests": { type: "string" },
    },
    strict: true,
  });
  const services = (values.services as string).split(",").filter(Boolean);
  for (const service of services) {
    if (!SERVICE_NAME.test(service))
      throw new Error(`--services: expected lower-case service names, got "${service}"`);
  }
  const window = values.window as string;
  if (!WINDOW.test(window))
    throw new Error(`--window: expected a Prometheus duration such as 10m, got "${window}"`);
  const limits: GateLimits = {
    maxErrorRatio: numberOption("max-error-ratio", values["max-error-ratio"], 0.01),
    maxP99Seconds: numberOption("max-p99-seconds", values["max-p99-seconds"], 0.1),
    minRequests: numberOption("min-requests", values["min-requests"], 100),
  };
  const podTemplate = values.pods as string;
  const verdicts: ServiceVerdict[] = [];
  for (const service of services) {
    verdicts.push(
      judge(await readService(values.prometheus as string, service, podTemplate, window), limits),
    );
  }
  const report = renderVerdicts(verdicts, window, podTemplate);
  process.stdout.write(report);
  if (process.env.GITHUB_STEP_SUMMARY) appendFileSync(process.env.GITHUB_STEP_SUMMARY, `${report}\n`);
  const failed = verdicts.filter((v) => !v.passed);
  if (failed.length > 0) {
    process.stderr.write(`canary gate: FAILED for ${failed.map((v) => v.service).join(", ")}\n`);
    return 1;
  }
  process.stderr.write("canary gate: passed\n");
  return 0;
}

if (process.argv[1]?.endsWith("canary-gate.ts")) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`canary gate: ${(error as Error).message}\n`);
      process.exitCode = 2;
    },
  );
}
