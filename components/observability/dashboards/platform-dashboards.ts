import { dataStoresDashboard } from "./data-stores.ts";
import type { GrafanaDashboard } from "./grafana-model.ts";
import { type LiveKitDashboardInput, liveKitDashboard } from "./livekit.ts";
import { servicesDashboard } from "./services.ts";
import { type TurnDashboardInput, turnDashboard } from "./turn.ts";

export type PlatformDashboardsInput = LiveKitDashboardInput & TurnDashboardInput;

/** Every dashboard the observability component ships, each as one ConfigMap entry `<uid>.json`. */
export function platformDashboards(input: PlatformDashboardsInput): GrafanaDashboard[] {
  return [
    liveKitDashboard({ livekitJob: input.livekitJob, mediaNode: input.mediaNode }),
    turnDashboard({ turnNodeJob: input.turnNodeJob }),
    servicesDashboard(),
    dataStoresDashboard(),
  ];
}

/** The dashboards as the file name → JSON text map a Grafana sidecar ConfigMap carries. */
export function renderDashboardFiles(input: PlatformDashboardsInput): Record<string, string> {
  return Object.fromEntries(
    platformDashboards(input).map((d) => [`${d.uid}.json`, `${JSON.stringify(d, null, 2)}\n`]),
  );
}
