import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { failAs } from "../resource-error.ts";
import { type AlertChannels, alertmanagerInputFromChannels } from "./alert-receivers.ts";
import { renderAlertmanagerConfig } from "./alertmanager.ts";

/** A well-formed Slack webhook the config is rendered with; the stack's own URL replaces it afterwards. */
const SLACK_WEBHOOK_STANDIN = "https://hooks.slack.com/services/T00000000/B00000000/gomeet-standin";

/** The Secret the chart's Alertmanager reads its whole configuration from. */
export const ALERTMANAGER_SECRET_NAME = "alertmanager-gomeet";

/**
 * Renders alertmanager.yml with the stack's Slack webhook. The renderer validates everything else; the webhook
 * is a secret the offline plan only knows as a placeholder, so it is substituted after rendering (Alertmanager
 * itself refuses a config whose api_url is not a URL, and input errors must never echo the secret).
 */
function renderWithSlackWebhook(
  channels: Omit<AlertChannels, "slackWebhookUrl">,
  slackWebhookUrl: string | undefined,
): string {
  const input = alertmanagerInputFromChannels({
    ...channels,
    slackWebhookUrl: slackWebhookUrl === undefined ? undefined : SLACK_WEBHOOK_STANDIN,
  });
  if (!input) return "";
  const rendered = renderAlertmanagerConfig(input);
  if (slackWebhookUrl === undefined) return rendered;
  return rendered.split(SLACK_WEBHOOK_STANDIN).join(slackWebhookUrl);
}

export interface AlertmanagerSecretArgs {
  namespace: string;
  channels: Omit<AlertChannels, "slackWebhookUrl">;
  /** `gomeet:alertSlackWebhookUrl`, when the stack sets one. */
  slackWebhookUrl: pulumi.Output<string> | undefined;
}

/**
 * The Secret holding alertmanager.yml, rendered from the stack's receivers, or undefined when the stack has no
 * receiver at all: Alertmanager is then left off, and the plan's log says why.
 */
export function alertmanagerSecret(
  name: string,
  args: AlertmanagerSecretArgs,
  opts: pulumi.CustomResourceOptions & { parent: pulumi.Resource },
): k8s.core.v1.Secret | undefined {
  // Whether there is any receiver is known without the webhook's value: it is set or not.
  const hasReceivers =
    alertmanagerInputFromChannels({
      ...args.channels,
      slackWebhookUrl: args.slackWebhookUrl ? "https://set" : undefined,
    }) !== undefined;
  if (!hasReceivers) {
    pulumi.log.info(
      "no alert receivers (monitoring.alertEmails, gomeet:alertSlackWebhookUrl): Alertmanager is off",
      opts.parent,
    );
    return undefined;
  }
  const config = pulumi
    .output(args.slackWebhookUrl)
    .apply((slackWebhookUrl) =>
      failAs(opts.parent, () => renderWithSlackWebhook(args.channels, slackWebhookUrl)),
    );
  return new k8s.core.v1.Secret(
    `${name}-alertmanager-config`,
    {
      metadata: { name: ALERTMANAGER_SECRET_NAME, namespace: args.namespace },
      type: "Opaque",
      stringData: { "alertmanager.yaml": pulumi.secret(config) },
    },
    opts,
  );
}
