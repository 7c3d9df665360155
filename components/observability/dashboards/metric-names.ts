import { metricNamesInPromQL } from "../promql-metric-names.ts";
import type { GrafanaDashboard } from "./grafana-model.ts";

/** Every PromQL expression of a dashboard's panels, in panel order. */
export function dashboardQueries(dashboard: GrafanaDashboard): string[] {
  return dashboard.panels.flatMap((panel) => panel.targets.map((target) => target.expr));
}

/** Every metric name a dashboard's queries select, sorted and without duplicates. */
export function metricNamesInDashboard(dashboard: GrafanaDashboard): string[] {
  return [...new Set(dashboardQueries(dashboard).flatMap(metricNamesInPromQL))].sort();
}
