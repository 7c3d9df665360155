import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";
import { resourceName, type StackIdentity } from "../naming.ts";
import { uptimeTargets } from "./monitoring-targets.ts";

export interface UptimeChecksArgs {
  identity: StackIdentity;
  domain: string;
  alertEmails: string[];
  slackChannel: string;
  /** `gomeet:alertSlackWebhookUrl`, when the stack sets one. */
  slackWebhookUrl: pulumi.Output<string> | undefined;
}

/**
 * DigitalOcean uptime checks from three continents on the public endpoints (monitoring-targets.ts), with alerts
 * to the stack's channels. Mail and Slack get separate alerts: a Slack webhook makes its whole notification list
 * secret, and the mailbox must stay readable in plans. Down and certificate expiry go to both, latency to one:
 * five alerts, DigitalOcean's limit per check (docs/sources.md#monitoring-and-uptime-checks).
 */
export function uptimeChecks(component: string, args: UptimeChecksArgs, parent: pulumi.Resource): void {
  const channels: { channel: string; notification: digitalocean.types.input.UptimeAlertNotification }[] = [];
  if (args.alertEmails.length > 0) {
    channels.push({ channel: "email", notification: { emails: args.alertEmails } });
  }
  if (args.slackWebhookUrl) {
    const slack = { channel: args.slackChannel, url: pulumi.secret(args.slackWebhookUrl) };
    channels.push({ channel: "slack", notification: { slacks: [slack] } });
  }
  const alerts = [
    { kind: "down", type: "down_global", period: "2m", channels },
    {
      kind: "ssl-expiry",
      type: "ssl_expiry",
      comparison: "less_than",
      threshold: 14,
      period: "2m",
      channels,
    },
    {
      kind: "latency",
      type: "latency",
      comparison: "greater_than",
      threshold: 2000,
      period: "5m",
      channels: channels.slice(0, 1),
    },
  ];
  for (const { name: endpoint, target } of uptimeTargets(args.domain)) {
    const check = new digitalocean.UptimeCheck(
      `${component}-uptime-${endpoint}`,
      {
        name: resourceName(args.identity, "uptime", endpoint),
        target,
        type: "https",
        // API enum values (docs/sources.md#digitalocean-api-enum-values): snake_case, not the SDK docs' camelCase.
        regions: ["se_asia", "us_east", "eu_west"],
        enabled: true,
      },
      { parent },
    );
    for (const alert of alerts) {
      for (const { channel, notification } of alert.channels) {
        new digitalocean.UptimeAlert(
          `${component}-uptime-${endpoint}-${alert.kind}-${channel}`,
          {
            checkId: check.id,
            name: resourceName(args.identity, endpoint, alert.kind, channel),
            type: alert.type,
            period: alert.period,
            ...(alert.comparison && { comparison: alert.comparison }),
            ...(alert.threshold !== undefined && { threshold: alert.threshold }),
            notifications: [notification],
          },
          { parent: check },
        );
      }
    }
  }
}
