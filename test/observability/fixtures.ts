import type { AlertmanagerConfigInput } from "../../components/observability/alertmanager.ts";
import type { PlatformDashboardsInput } from "../../components/observability/dashboards/platform-dashboards.ts";
import type { PrometheusRulesInput } from "../../components/observability/rules.ts";

/** Rule inputs shaped like the staging and production stacks (media node sizes: docs/capacity.md). */
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

/** Staging: everything to one Slack channel, critical also by email. Secrets are fake but shaped like real ones. */
export const stagingAlertmanagerInput: AlertmanagerConfigInput = {
  receivers: [
    {
      name: "staging-slack",
      slack: {
        webhookUrl: "https://hooks.slack.com/services/T0STAGING/B0STAGING/stagingSecretToken1",
        channel: "#gomeet-staging",
      },
    },
    {
      name: "staging-oncall",
      slack: {
        webhookUrl: "https://hooks.slack.com/services/T0STAGING/B0STAGING/stagingSecretToken1",
        channel: "#gomeet-staging",
      },
      email: {
        to: "platform@gomeet.example",
        from: "alertmanager@gomeet.example",
        smarthost: "smtp.sendgrid.net:587",
        authUsername: "apikey",
        authPassword: "SG.staging-smtp-password-0123456789",
      },
    },
  ],
  routes: { critical: "staging-oncall", warning: "staging-slack", info: "staging-slack" },
  defaultReceiver: "staging-slack",
};

/** Production: critical pages on-call (Slack + email), warnings to the ops channel, info to a quiet channel. */
export const productionAlertmanagerInput: AlertmanagerConfigInput = {
  receivers: [
    {
      name: "oncall-page",
      slack: {
        webhookUrl: "https://hooks.slack.com/services/T0PROD/B0PAGE/prodPageSecretToken2",
        channel: "#gomeet-oncall",
      },
      email: {
        to: "oncall@gomeet.example",
        from: "alertmanager@gomeet.example",
        smarthost: "smtp.sendgrid.net:587",
        authUsername: "apikey",
        authPassword: "SG.production-smtp-password-9876543210",
      },
    },
    {
      name: "ops-channel",
      slack: {
        webhookUrl: "https://hooks.slack.com/services/T0PROD/B0OPS/prodOpsSecretToken3",
        channel: "#gomeet-ops",
      },
    },
    {
      name: "info-digest",
      slack: {
        webhookUrl: "https://hooks.slack.com/services/T0PROD/B0INFO/prodInfoSecretToken4",
        channel: "#gomeet-info",
      },
    },
  ],
  routes: { critical: "oncall-page", warning: "ops-channel", info: "info-digest" },
  defaultReceiver: "ops-channel",
};

/** Dashboard inputs for production: the same job names and media node shape as the rules above. */
export const productionDashboardsInput: PlatformDashboardsInput = {
  livekitJob: "livekit",
  turnNodeJob: "turn-nodes",
  mediaNode: { vcpus: 16, nicGbps: 10 },
};
