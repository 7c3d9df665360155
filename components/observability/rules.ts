import { stringify } from "yaml";
import { z } from "zod";
import type { AlertRule } from "./alert-rule.ts";
import { parseObservabilityInput } from "./input-errors.ts";
import { platformAlerts } from "./platform-alerts.ts";
import { scrapeJobName } from "./scrape-job.ts";
import { securityAlerts } from "./security-alerts.ts";
import { sloAlerts } from "./slo-alerts.ts";

const kubernetesName = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, { error: "expected a Kubernetes name (a-z, 0-9, '-')" });
const ratio = z.number().gt(0, { error: "expected a ratio > 0" }).lt(1, { error: "expected a ratio < 1" });
const positive = z.number().gt(0, { error: "expected a number > 0" });
const perMinute = z.number().gt(0, { error: "expected a rate per minute > 0" });

const severityPair = (warning: number, critical: number) =>
  z
    .object({ warning: ratio.default(warning), critical: ratio.default(critical) })
    .prefault({})
    .refine((pair) => pair.warning < pair.critical, { error: "expected warning < critical" });

export const prometheusRulesInputSchema = z.object({
  /** Added as the `environment` label of every alert, so one Alertmanager can tell stacks apart. */
  environment: kubernetesName,
  /** Base of the runbook links; each alert appends `#<alertname in lowercase>` (docs/observability.md anchors). */
  runbookBaseUrl: z
    .string()
    .regex(/^https:\/\/[^\s#]+$/, { error: "expected an https URL without a fragment" }),
  jobs: z.object({ livekit: scrapeJobName }),
  /** Namespaces whose crash-looping pods page us; kube-prometheus-stack's own rules cover the rest. */
  watchedNamespaces: z.array(kubernetesName).min(1, { error: "expected at least one namespace" }),
  api: z
    .object({
      // The API latency SLO (docs/observability.md#slos): p99 under 100 ms.
      p99LatencySeconds: positive.default(0.1),
      errorRatio: ratio.default(0.01),
    })
    .prefault({}),
  joins: z.object({ failureRatio: ratio.default(0.05) }).prefault({}),
  mediaNode: z.object({
    vcpus: z.number().int({ error: "expected an integer" }).min(1, { error: "expected an integer ≥ 1" }),
    nicGbps: positive,
    cpu: severityPair(0.7, 0.85),
    bandwidth: severityPair(0.7, 0.85),
  }),
  turn: z.object({ failureRatio: ratio.default(0.1) }).prefault({}),
  certificates: z
    .object({
      warningDays: positive.default(14),
      criticalDays: positive.default(3),
    })
    .prefault({})
    .refine((days) => days.criticalDays < days.warningDays, { error: "expected criticalDays < warningDays" }),
  postgres: z.object({
    /** postgres.js `max` of each service replica (the client pool the services run). */
    poolMaxPerReplica: z
      .number()
      .int({ error: "expected an integer" })
      .min(1, { error: "expected an integer ≥ 1" }),
    pool: severityPair(0.8, 0.95),
    serverConnectionsRatio: ratio.default(0.8),
  }),
  security: z
    .object({
      failedLoginsPerMinute: perMinute.default(30),
      deniedPerMinute: perMinute.default(120),
      rateLimitedPerMinute: perMinute.default(300),
    })
    .prefault({}),
});

/** What the caller writes (thresholds may be omitted and take the SLO defaults above). */
export type PrometheusRulesInput = z.input<typeof prometheusRulesInputSchema>;
/** The validated input with every default filled in, as the alert builders see it. */
export type PrometheusRulesSettings = z.output<typeof prometheusRulesInputSchema>;

export interface PrometheusRuleGroup {
  name: string;
  rules: AlertRule[];
}

/** The rule groups as objects: the component wraps these in a PrometheusRule's spec.groups. */
export function prometheusRuleGroups(input: PrometheusRulesInput): PrometheusRuleGroup[] {
  const settings = parseObservabilityInput(prometheusRulesInputSchema, input, "observability.rules");
  return [
    { name: "gomeet-slo", rules: sloAlerts(settings) },
    { name: "gomeet-platform", rules: platformAlerts(settings) },
    { name: "gomeet-security", rules: securityAlerts(settings) },
  ];
}

/** A Prometheus rule file (`groups:`), the format `promtool check rules` reads. */
export function renderPrometheusRules(input: PrometheusRulesInput): string {
  // lineWidth 0: never fold long PromQL expressions across lines.
  return stringify({ groups: prometheusRuleGroups(input) }, { lineWidth: 0 });
}
