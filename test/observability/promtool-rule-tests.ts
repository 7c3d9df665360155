import { stringify } from "yaml";
import type { AlertRule } from "../../components/observability/alert-rule.ts";
import type { PrometheusRuleGroup } from "../../components/observability/rules.ts";
import type { RuleScenario } from "./rule-scenarios.ts";

/**
 * Expands the only template form our annotations may use, `{{ $labels.<name> }}`. Anything else left in the
 * text (a `$value`, a pipeline) makes the expected annotation unknowable, so it is an error here.
 */
export function expandLabelTemplates(text: string, labels: Record<string, string>): string {
  const expanded = text.replace(/\{\{\s*\$labels\.([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}/g, (_, name: string) => {
    return labels[name] ?? "";
  });
  if (expanded.includes("{{")) throw new Error(`annotation uses a template beyond $labels: ${text}`);
  return expanded;
}

function ruleFor(groups: PrometheusRuleGroup[], alertname: string, severity: string): AlertRule {
  const rule = groups
    .flatMap((group) => group.rules)
    .find((r) => r.alert === alertname && r.labels.severity === severity);
  if (!rule) throw new Error(`no ${severity} rule named ${alertname} in the rendered rules`);
  return rule;
}

/** A promtool rule-test file (`promtool test rules`) for `scenarios` against the rule file `ruleFile`. */
export function renderPromtoolRuleTests(
  ruleFile: string,
  groups: PrometheusRuleGroup[],
  scenarios: RuleScenario[],
): string {
  const tests = scenarios.map((scenario) => ({
    name: scenario.name,
    interval: "1m",
    input_series: scenario.series,
    alert_rule_test: scenario.expect.map((check) => ({
      eval_time: check.at,
      alertname: scenario.alertname,
      exp_alerts: check.firing.map((alert) => {
        const rule = ruleFor(groups, scenario.alertname, alert.severity);
        const labels = { ...alert.labels, ...rule.labels };
        return {
          exp_labels: labels,
          exp_annotations: {
            summary: expandLabelTemplates(rule.annotations.summary, labels),
            description: expandLabelTemplates(rule.annotations.description, labels),
            runbook_url: rule.annotations.runbook_url,
          },
        };
      }),
    })),
  }));
  return stringify({ rule_files: [ruleFile], evaluation_interval: "1m", tests }, { lineWidth: 0 });
}
