import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { SEVERITIES } from "../../components/observability/alert-rule.ts";
import {
  type PrometheusRulesInput,
  prometheusRuleGroups,
  prometheusRulesInputSchema,
  renderPrometheusRules,
} from "../../components/observability/rules.ts";
import { execFileAsync, findExecutable } from "../support/processes.ts";
import { productionRulesInput, stagingRulesInput } from "./fixtures.ts";
import { renderPromtoolRuleTests } from "./promtool-rule-tests.ts";
import { ruleScenarios } from "./rule-scenarios.ts";

const promtool = findExecutable("promtool", ["/usr/bin", "/usr/local/bin"]);
if (!promtool)
  throw new Error("promtool not found: run scripts/install-test-deps.sh (Debian package prometheus)");

const workDir = mkdtempSync(join(tmpdir(), "gomeet-rules-"));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

/** Runs promtool, returning exit code and combined output instead of throwing on a non-zero exit. */
async function runPromtool(args: string[]): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await execFileAsync(promtool as string, args, { cwd: workDir });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, output: `${failed.stdout ?? ""}${failed.stderr ?? ""}` };
  }
}

function writeRuleFiles(
  label: string,
  rulesInput: PrometheusRulesInput,
  scenarioInput: PrometheusRulesInput,
) {
  const ruleFile = `${label}-rules.yml`;
  const testFile = `${label}-rules.test.yml`;
  writeFileSync(join(workDir, ruleFile), renderPrometheusRules(rulesInput));
  const scenarios = ruleScenarios(prometheusRulesInputSchema.parse(scenarioInput));
  writeFileSync(
    join(workDir, testFile),
    renderPromtoolRuleTests(ruleFile, prometheusRuleGroups(rulesInput), scenarios),
  );
  return { ruleFile, testFile };
}

describe.each([
  ["staging", stagingRulesInput],
  ["production", productionRulesInput],
])("Prometheus rules for %s", (label, input) => {
  it("pass promtool check rules", async () => {
    const { ruleFile } = writeRuleFiles(label, input, input);
    const result = await runPromtool(["check", "rules", ruleFile]);
    expect(result.output).toContain("SUCCESS: 20 rules found");
    expect(result.code).toBe(0);
  });

  it("fire and stay quiet exactly as the scenarios say (promtool test rules)", async () => {
    const { testFile } = writeRuleFiles(label, input, input);
    const result = await runPromtool(["test", "rules", testFile]);
    expect(result.output).toContain("SUCCESS");
    expect(result.code).toBe(0);
  });

  it("give every alert and severity at least one firing and one quiet scenario", () => {
    const scenarios = ruleScenarios(prometheusRulesInputSchema.parse(input));
    const rules = prometheusRuleGroups(input).flatMap((group) => group.rules);
    for (const rule of rules) {
      const checks = scenarios.filter((s) => s.alertname === rule.alert).flatMap((s) => s.expect);
      const fires = checks.some((c) => c.firing.some((a) => a.severity === rule.labels.severity));
      const quiet = checks.some((c) => !c.firing.some((a) => a.severity === rule.labels.severity));
      expect({ rule: `${rule.alert}/${rule.labels.severity}`, fires, quiet }).toEqual({
        rule: `${rule.alert}/${rule.labels.severity}`,
        fires: true,
        quiet: true,
      });
    }
  });
});

describe("Prometheus rules: shape and failure modes", () => {
  it("fail promtool test rules when thresholds differ from what the scenarios expect", async () => {
    // Production rules (16 vCPU, 10 Gbps) against staging's series (8 vCPU, 2 Gbps): headroom alerts must not match.
    const { testFile } = writeRuleFiles("mismatch", productionRulesInput, stagingRulesInput);
    const result = await runPromtool(["test", "rules", testFile]);
    expect(result.code).not.toBe(0);
    expect(result.output).toMatch(/MediaNode(Cpu|Bandwidth)NearCapacity/);
  });

  it("fail promtool check rules on a broken expression, proving the check reads our file", async () => {
    writeFileSync(
      join(workDir, "broken.yml"),
      renderPrometheusRules(stagingRulesInput).replace("> 0.1", "> "),
    );
    const result = await runPromtool(["check", "rules", "broken.yml"]);
    expect(result.code).not.toBe(0);
    expect(result.output).toMatch(/parse error|could not parse/);
  });

  it("label every alert with a known severity, the environment, and summary/description/runbook", () => {
    for (const rule of prometheusRuleGroups(productionRulesInput).flatMap((group) => group.rules)) {
      expect(SEVERITIES).toContain(rule.labels.severity);
      expect(rule.labels.environment).toBe("production");
      expect(rule.annotations.summary.length).toBeGreaterThan(10);
      expect(rule.annotations.description.length).toBeGreaterThan(20);
      expect(rule.annotations.runbook_url).toBe(
        `https://github.com/gomeet/gomeet/blob/main/docs/observability.md#${rule.alert.toLowerCase()}`,
      );
    }
  });

  it("derive headroom thresholds from the node's vCPUs and NIC cap", () => {
    const rules = prometheusRuleGroups(productionRulesInput).flatMap((group) => group.rules);
    const cpuCritical = rules.find(
      (r) => r.alert === "MediaNodeCpuNearCapacity" && r.labels.severity === "critical",
    );
    const nicWarning = rules.find(
      (r) => r.alert === "MediaNodeBandwidthNearCapacity" && r.labels.severity === "warning",
    );
    expect(cpuCritical?.expr).toMatch(/\/ 16 > 0\.85$/);
    expect(nicWarning?.expr).toMatch(/\* 8 > 7000000000$/);
  });

  it("reject bad input naming the field, the rule and the value", () => {
    expect(() =>
      renderPrometheusRules({ ...productionRulesInput, mediaNode: { vcpus: 0, nicGbps: 10 } }),
    ).toThrow("observability.rules.mediaNode.vcpus: expected an integer ≥ 1, got 0");
    expect(() =>
      renderPrometheusRules({ ...productionRulesInput, jobs: { livekit: 'livekit"} or vector(1)' } }),
    ).toThrow(
      /observability\.rules\.jobs\.livekit: expected a scrape job name .*, got "livekit\\"} or vector\(1\)"/,
    );
    expect(() =>
      renderPrometheusRules({
        ...productionRulesInput,
        mediaNode: { vcpus: 16, nicGbps: 10, cpu: { warning: 0.9, critical: 0.8 } },
      }),
    ).toThrow("observability.rules.mediaNode.cpu: expected warning < critical");
    expect(() =>
      renderPrometheusRules({ ...productionRulesInput, runbookBaseUrl: "http://wiki/runbooks" }),
    ).toThrow(
      'observability.rules.runbookBaseUrl: expected an https URL without a fragment, got "http://wiki/runbooks"',
    );
  });
});
