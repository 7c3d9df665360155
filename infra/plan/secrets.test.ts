import { describe, expect, it } from "vitest";
import { stableStringify, toPlanDocument } from "./graph-json.ts";
import { PROJECT_ROOT, planInline } from "./plan.ts";
import { renderPlanTree } from "./render-tree.ts";
import { offlineSecretValue, readStackFile, SECRET_PLACEHOLDER } from "./stack-file.ts";

/** Every string inside a secret value (URIs, passwords, kubeconfigs, nested lists). */
function secretStrings(value: unknown, into: Set<string>): void {
  if (typeof value === "string" && value.length >= 8) into.add(value);
  else if (Array.isArray(value)) for (const v of value) secretStrings(v, into);
  else if (value !== null && typeof value === "object")
    for (const v of Object.values(value)) secretStrings(v, into);
}

describe("secrets in the offline plan", () => {
  it.each(["production", "staging", "ephemeral"])(
    "%s: no secret value reaches the printed tree or the JSON",
    async (environment) => {
      const seen = new Set<string>();
      const slack = "https://hooks.slack.com/services/T0000/B0000/SLACKSECRETVALUE";
      const graph = await planInline({
        stack: `secrets-${environment}`,
        environment,
        secrets: { alertSlackWebhookUrl: slack },
        onSecret: (v) => secretStrings(v, seen),
      });
      seen.add(slack);
      // The kubeconfig (a secret stack output and the Kubernetes provider's input) passes through redaction.
      expect([...seen].some((s) => s.includes("kind: Config"))).toBe(true);
      const printed = renderPlanTree(graph);
      const json = stableStringify(toPlanDocument(graph));
      for (const secret of seen) {
        expect(printed.includes(secret), `printed plan contains a secret (${secret.slice(0, 12)}…)`).toBe(
          false,
        );
        expect(json.includes(secret), `plan JSON contains a secret (${secret.slice(0, 12)}…)`).toBe(false);
      }
      expect(graph.secretOutputs).toContain("kubeconfig");
      expect(json).toContain(SECRET_PLACEHOLDER);
    },
  );

  it("never decrypts or passes on a secure: value from the stack file", () => {
    const file = readStackFile(PROJECT_ROOT, "production");
    expect(file.secretKeys).toEqual([
      "gomeet:alertSlackWebhookUrl",
      "gomeet:digitaloceanDnsToken",
      "gomeet:grafanaOAuthClientSecret",
    ]);
    expect(file.config["gomeet:alertSlackWebhookUrl"]).toBe(
      offlineSecretValue("gomeet:alertSlackWebhookUrl"),
    );
    expect(JSON.stringify(file)).not.toContain("v1:");
  });
});
