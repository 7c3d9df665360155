/**
 * Helm charts the gateway installs, pinned: a chart upgrade is a reviewed change of this file, never a side
 * effect of a repository update. Charts cannot be fetched from our machines, so the versions come from the
 * publishers' own records, cited per chart.
 */
export interface PinnedChart {
  chart: string;
  version: string;
  repo: string;
  source: string;
}

export const TRAEFIK_CHART: PinnedChart = {
  chart: "traefik",
  version: "37.3.0",
  repo: "https://traefik.github.io/charts",
  source:
    "traefik/traefik-helm-chart traefik/Changelog.md '## 37.3.0' (AppVersion v3.6.0, released 2025-11-10); values keys checked against that chart's values.yaml",
};

export const CERT_MANAGER_CHART: PinnedChart = {
  chart: "cert-manager",
  version: "v1.19.1",
  repo: "https://charts.jetstack.io",
  source:
    "charts.jetstack.io, the only supported source (cert-manager.io/docs/installation/helm); v1.19.1 as pinned in graphops/launchpad-namespaces PR #1793",
};
