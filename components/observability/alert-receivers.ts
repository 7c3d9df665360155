import type { AlertmanagerConfigInput } from "./alertmanager.ts";

export interface AlertChannels {
  /** `monitoring.alertEmails` (at most one mailbox). */
  emails: string[];
  slackChannel: string;
  smtp: { smarthost: string; from: string };
  /** `gomeet:alertSlackWebhookUrl`, when the stack sets it (plain text: only inside an Output's apply). */
  slackWebhookUrl: string | undefined;
}

/**
 * Receivers and severity routes from the stack's channels: critical pages every channel (Slack and the
 * mailbox), warning and info go to Slack, or to the mailbox when there is no Slack. A stack with neither gets
 * no Alertmanager config (undefined) and runs without Alertmanager rather than with a receiver that drops.
 */
export function alertmanagerInputFromChannels(channels: AlertChannels): AlertmanagerConfigInput | undefined {
  const slack = channels.slackWebhookUrl
    ? { webhookUrl: channels.slackWebhookUrl, channel: channels.slackChannel }
    : undefined;
  const to = channels.emails[0];
  const email = to ? { to, from: channels.smtp.from, smarthost: channels.smtp.smarthost } : undefined;
  if (!slack && !email) return undefined;
  const receivers: AlertmanagerConfigInput["receivers"] = [
    { name: "oncall", ...(slack && { slack }), ...(email && { email }) },
  ];
  if (slack) receivers.push({ name: "ops", slack });
  const everyday = slack ? "ops" : "oncall";
  return {
    receivers,
    routes: { critical: "oncall", warning: everyday, info: everyday },
    defaultReceiver: everyday,
  };
}
