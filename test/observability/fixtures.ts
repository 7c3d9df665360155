import type { PrometheusRulesInput } from "../../components/observability/rules.ts";

/** Rule inputs shaped like the staging and production stacks (media node sizes: ../shared/reference/livekit.md §4.5). */
export const stagingRulesInput: PrometheusRulesInput = {
  environment: "staging",
  runbookBaseUrl: "https://github.com/gomeet/gomeet/blob/main/docs/observability.md",
  jobs: { livekit: "livekit" },
  watchedNamespaces: ["gomeet-apps", "gomeet-media", "gomeet-edge"],
  mediaNode: { vcpus: 8, nicGbps: 2 },
  postgres: { poolMaxPerReplica: 10 },
};

export const productionRulesInput: PrometheusRulesInput = {
  environment: "production",
  runbookBaseUrl: "https://github.com/gomeet/gomeet/blob/main/docs/observability.md",
  jobs: { livekit: "livekit" },
  watchedNamespaces: ["gomeet-apps", "gomeet-media", "gomeet-edge"],
  mediaNode: { vcpus: 16, nicGbps: 10 },
  postgres: { poolMaxPerReplica: 20 },
};
