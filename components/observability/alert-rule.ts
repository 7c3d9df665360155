/** The severities Alertmanager routes on; every alert carries exactly one. */
export const SEVERITIES = ["critical", "warning", "info"] as const;
export type Severity = (typeof SEVERITIES)[number];

/** One alerting rule in Prometheus' rule-file shape (also the shape of a PrometheusRule's spec.groups[].rules). */
export interface AlertRule {
  alert: string;
  expr: string;
  for: string;
  labels: { severity: Severity; environment: string };
  annotations: { summary: string; description: string; runbook_url: string };
}

export interface AlertText {
  summary: string;
  description: string;
}

/**
 * Builds one alert. Annotations may template `{{ $labels.<name> }}` only (no `$value`): the rule unit tests
 * compare annotations exactly, and label-only templates keep the expected text derivable from the series.
 */
export function alertRule(
  context: { environment: string; runbookBaseUrl: string },
  alert: string,
  severity: Severity,
  expr: string,
  forDuration: string,
  text: AlertText,
): AlertRule {
  return {
    alert,
    expr,
    for: forDuration,
    labels: { severity, environment: context.environment },
    annotations: {
      summary: text.summary,
      description: text.description,
      runbook_url: `${context.runbookBaseUrl}#${alert.toLowerCase()}`,
    },
  };
}

/**
 * Formats a threshold as a PromQL number literal. Rejects NaN/Infinity, which would render as the PromQL
 * keywords NaN/Inf and silently make a comparison always false or always true.
 */
export function promNumber(value: number): string {
  if (!Number.isFinite(value)) throw new Error(`threshold must be a finite number, got ${value}`);
  return String(value);
}

/** Renders a ratio as a percentage for annotation text (0.85 → "85%"). */
export function percent(ratio: number): string {
  return `${Math.round(ratio * 1000) / 10}%`;
}
