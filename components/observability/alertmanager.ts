import { stringify } from "yaml";
import { z } from "zod";
import { SEVERITIES, type Severity } from "./alert-rule.ts";
import { parseObservabilityInput } from "./input-errors.ts";

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]"]);
const REDACTED = "<redacted>";

/** Plain http is refused except on loopback, where the tests run their local receivers. */
const webhookUrl = z.string().refine(
  (url) => {
    const parsed = URL.canParse(url) ? new URL(url) : undefined;
    return (
      parsed?.protocol === "https:" || (parsed?.protocol === "http:" && LOOPBACK_HOSTS.has(parsed.hostname))
    );
  },
  { error: "expected an https URL (http only for loopback)" },
);

const smarthost = z
  .string()
  .regex(/^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):[0-9]{1,5}$/, { error: "expected host:port" });
const duration = z
  .string()
  .regex(/^([0-9]+(ms|s|m|h|d|w|y))+$/, { error: "expected a Prometheus duration like 30s or 4h" });
const receiverName = z
  .string()
  .regex(/^[A-Za-z0-9_-]+$/, { error: "expected a receiver name (A-Z a-z 0-9 _ -)" });
const email = z.email({ error: "expected an email address" });

const slackChannel = z.object({
  /** Slack incoming-webhook URL: a bearer secret in itself. */
  webhookUrl,
  channel: z.string().regex(/^#[a-z0-9_-]+$/, { error: "expected a channel like #alerts" }),
});

const emailChannel = z
  .object({
    to: email,
    from: email,
    smarthost,
    authUsername: z.string().min(1).optional(),
    authPassword: z.string().min(1).optional(),
    /** STARTTLS before any credentials or alert text leaves the cluster; off only for a loopback relay. */
    requireTls: z.boolean().default(true),
  })
  .refine((c) => (c.authUsername === undefined) === (c.authPassword === undefined), {
    error: "expected authUsername and authPassword together or neither",
  })
  .refine((c) => c.requireTls || LOOPBACK_HOSTS.has(c.smarthost.replace(/:[0-9]+$/, "")), {
    error: "expected requireTls: true for a non-loopback smarthost",
  });

const timing = (groupWait: string, groupInterval: string, repeatInterval: string) =>
  z
    .object({
      groupWait: duration.default(groupWait),
      groupInterval: duration.default(groupInterval),
      repeatInterval: duration.default(repeatInterval),
    })
    .prefault({});

export const alertmanagerConfigInputSchema = z
  .object({
    receivers: z
      .array(
        z
          .object({ name: receiverName, slack: slackChannel.optional(), email: emailChannel.optional() })
          .refine((r) => r.slack !== undefined || r.email !== undefined, {
            error: "expected at least one of slack or email",
          }),
      )
      .min(1, { error: "expected at least one receiver" }),
    /** Which receiver each severity goes to; alerts without a known severity go to `defaultReceiver`. */
    routes: z.object({ critical: receiverName, warning: receiverName, info: receiverName }),
    defaultReceiver: receiverName,
    /** Pages fast and repeats often; info waits and batches. */
    timing: z
      .object({
        critical: timing("10s", "1m", "1h"),
        warning: timing("30s", "5m", "4h"),
        info: timing("2m", "30m", "24h"),
      })
      .prefault({}),
  })
  .superRefine((config, ctx) => {
    const names = config.receivers.map((r) => r.name);
    names.forEach((name, index) => {
      if (names.indexOf(name) !== index) {
        ctx.addIssue({
          code: "custom",
          path: ["receivers", index, "name"],
          message: "expected a unique receiver name",
        });
      }
    });
    for (const [key, name] of [
      ...Object.entries(config.routes),
      ["defaultReceiver", config.defaultReceiver],
    ]) {
      if (!names.includes(name as string)) {
        const path = key === "defaultReceiver" ? ["defaultReceiver"] : ["routes", key as string];
        ctx.addIssue({
          code: "custom",
          path,
          message: `expected one of the receivers (${names.join(", ")})`,
        });
      }
    }
  });

export type AlertmanagerConfigInput = z.input<typeof alertmanagerConfigInputSchema>;
type AlertmanagerSettings = z.output<typeof alertmanagerConfigInputSchema>;

/** Labels that must match for a critical alert to mute the warning of the same alertname (same scope). */
export const INHIBITION_EQUAL_LABELS = [
  "alertname",
  "environment",
  "service",
  "instance",
  "server",
  "namespace",
  "name",
];

/** Alerts are grouped per alert and per thing affected, so one notification covers one incident. */
export const GROUP_BY = ["alertname", "environment", "service", "instance", "server"];

function receiverConfig(receiver: AlertmanagerSettings["receivers"][number], redact: boolean) {
  const secret = (value: string) => (redact ? REDACTED : value);
  return {
    name: receiver.name,
    ...(receiver.slack && {
      slack_configs: [
        {
          api_url: secret(receiver.slack.webhookUrl),
          channel: receiver.slack.channel,
          send_resolved: true,
          title:
            "[{{ .Status | toUpper }}] {{ .CommonLabels.severity }}: {{ .CommonLabels.alertname }} ({{ .CommonLabels.environment }})",
          text: "{{ range .Alerts }}{{ .Annotations.summary }}\n{{ .Annotations.description }}\nRunbook: {{ .Annotations.runbook_url }}\n{{ end }}",
        },
      ],
    }),
    ...(receiver.email && {
      email_configs: [
        {
          to: receiver.email.to,
          from: receiver.email.from,
          smarthost: receiver.email.smarthost,
          require_tls: receiver.email.requireTls,
          send_resolved: true,
          ...(receiver.email.authUsername !== undefined && {
            auth_username: receiver.email.authUsername,
            auth_password: secret(receiver.email.authPassword ?? ""),
          }),
        },
      ],
    }),
  };
}

function severityRoute(settings: AlertmanagerSettings, severity: Severity) {
  const t = settings.timing[severity];
  return {
    receiver: settings.routes[severity],
    matchers: [`severity="${severity}"`],
    group_wait: t.groupWait,
    group_interval: t.groupInterval,
    repeat_interval: t.repeatInterval,
  };
}

function alertmanagerConfig(input: AlertmanagerConfigInput, redact: boolean) {
  const settings = parseObservabilityInput(
    alertmanagerConfigInputSchema,
    input,
    "observability.alertmanager",
  );
  return {
    route: {
      receiver: settings.defaultReceiver,
      group_by: GROUP_BY,
      group_wait: settings.timing.warning.groupWait,
      group_interval: settings.timing.warning.groupInterval,
      repeat_interval: settings.timing.warning.repeatInterval,
      routes: SEVERITIES.map((severity) => severityRoute(settings, severity)),
    },
    inhibit_rules: [
      {
        source_matchers: ['severity="critical"'],
        target_matchers: ['severity="warning"'],
        equal: INHIBITION_EQUAL_LABELS,
      },
    ],
    receivers: settings.receivers.map((receiver) => receiverConfig(receiver, redact)),
  };
}

/** alertmanager.yml with the real secrets: only ever written into a Kubernetes Secret. */
export function renderAlertmanagerConfig(input: AlertmanagerConfigInput): string {
  return stringify(alertmanagerConfig(input, false), { lineWidth: 0 });
}

/** The same configuration with webhook URLs and SMTP passwords replaced, for plans, logs and docs. */
export function renderRedactedAlertmanagerConfig(input: AlertmanagerConfigInput): string {
  return stringify(alertmanagerConfig(input, true), { lineWidth: 0 });
}

/** The secret strings of an input, so callers (and tests) can check none leaks where it must not. */
export function alertmanagerSecrets(input: AlertmanagerConfigInput): string[] {
  return input.receivers
    .flatMap((r) => [r.slack?.webhookUrl, r.email?.authPassword])
    .filter((s) => s !== undefined);
}
