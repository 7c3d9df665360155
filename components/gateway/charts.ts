/**
 * Helm charts the gateway installs, pinned: a chart upgrade is a reviewed change of this file, never a side
 * effect of a repository update. The control-plane test renders exactly these versions with the stack's values
 * (`helm template`) and creates the result in a real API server, so a pin and its values move together.
 */
export interface PinnedChart {
  chart: string;
  version: string;
  repo: string;
  source: string;
}

export const TRAEFIK_CHART: PinnedChart = {
  chart: "traefik",
  version: "41.3.0",
  repo: "https://traefik.github.io/charts",
  source:
    "traefik/traefik-helm-chart, chart traefik 41.3.0 (AppVersion v3.7.11, 2026-08-21); values checked against that chart's values.schema.json, which refuses unknown keys",
};

export const CERT_MANAGER_CHART: PinnedChart = {
  chart: "cert-manager",
  version: "v1.21.1",
  repo: "https://charts.jetstack.io",
  source:
    "charts.jetstack.io, the only supported source (cert-manager.io/docs/installation/helm); cert-manager/cert-manager deploy/charts/cert-manager at tag v1.21.1",
};
