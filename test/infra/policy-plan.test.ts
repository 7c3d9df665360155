import { execFile } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { PROJECT_ROOT, planInline, planStack } from "../../infra/plan/plan.ts";
import { checkPlanPolicies } from "../../infra/plan/policy-check.ts";
import { projectWithStack } from "./stack-helpers.ts";

describe("policies over whole plans", () => {
  it.each(["production", "staging"])("the %s stack file passes every mandatory rule", async (stack) => {
    const violations = checkPlanPolicies(await planStack(stack));
    expect(violations.filter((v) => v.enforcement === "mandatory")).toEqual([]);
  });

  it("an ephemeral stack passes every mandatory rule", async () => {
    const violations = checkPlanPolicies(await planInline({ stack: "eph-bob", environment: "ephemeral" }));
    expect(violations.filter((v) => v.enforcement === "mandatory")).toEqual([]);
  });

  it("an override that opens SSH to the internet is caught, naming the rule and the resource", async () => {
    const graph = await planInline({
      stack: "production",
      environment: "production",
      overrides: { turn: { adminSshCidrs: ["0.0.0.0/0"], sshKeys: ["41424344"] } },
    });
    const violations = checkPlanPolicies(graph);
    const ssh = violations.filter((v) => v.policy === "ssh-not-open-to-internet");
    expect(ssh).toHaveLength(1);
    expect(ssh[0]?.message).toMatch(/opens TCP 22 \(SSH\) to 0\.0\.0\.0\/0/);
    expect(ssh[0]?.urn).toMatch(/digitalocean:index\/firewall:Firewall::/);
  });

  it("npm run plan exits non-zero on that override and names the rule and resource", async () => {
    const root = projectWithStack("production", {});
    writeFileSync(
      join(root, "Pulumi.production.yaml"),
      readFileSync(join(PROJECT_ROOT, "Pulumi.production.yaml"), "utf8").replace(
        "- 203.0.113.10/32",
        "- 0.0.0.0/0",
      ),
    );
    const run = promisify(execFile);
    const result = await run(
      join(PROJECT_ROOT, "node_modules/.bin/tsx"),
      [join(PROJECT_ROOT, "infra/plan/cli.ts"), "--stack", "production"],
      {
        cwd: root,
      },
    ).then(
      () => ({ code: 0, stdout: "", stderr: "" }),
      (e: { code: number; stdout: string; stderr: string }) => e,
    );
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /\[mandatory\] ssh-not-open-to-internet: .* opens TCP 22 \(SSH\) to 0\.0\.0\.0\/0/,
    );
    expect(result.stdout).toMatch(
      /resource: urn:pulumi:production::gomeet::.*digitalocean:index\/firewall:Firewall::/,
    );
    expect(result.stderr).toContain("violates 1 mandatory policy: ssh-not-open-to-internet");
  });
});
