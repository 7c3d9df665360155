import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type AlertmanagerConfigInput,
  renderAlertmanagerConfig,
} from "../../components/observability/alertmanager.ts";
import { findExecutable, freePort, spawnServer, stopProcess, waitFor } from "../support/processes.ts";
import { productionAlertmanagerInput } from "./fixtures.ts";
import {
  type RecordedEmail,
  type RecordedWebhook,
  startSmtpRecorder,
  startWebhookRecorder,
} from "./notification-listeners.ts";

// Debian ships the daemon as prometheus-alertmanager
// (https://packages.debian.org/bookworm/prometheus-alertmanager).
const alertmanagerBinary =
  findExecutable("alertmanager", ["/usr/bin", "/usr/local/bin"]) ??
  findExecutable("prometheus-alertmanager", ["/usr/bin", "/usr/local/bin"]);
if (!alertmanagerBinary) {
  throw new Error(
    "alertmanager not found: run scripts/install-test-deps.sh (Debian package prometheus-alertmanager)",
  );
}

/**
 * Production routing, with only the addresses changed: every Slack webhook points at the local recorder
 * (one path per receiver), email at the local SMTP relay, and timings shortened so the test waits seconds.
 */
function routingAgainst(webhookPort: number, smtpPort: number): AlertmanagerConfigInput {
  const fast = { groupWait: "1s", groupInterval: "1s", repeatInterval: "1h" };
  return {
    ...productionAlertmanagerInput,
    receivers: productionAlertmanagerInput.receivers.map((receiver) => ({
      name: receiver.name,
      ...(receiver.slack && {
        slack: { ...receiver.slack, webhookUrl: `http://127.0.0.1:${webhookPort}/slack/${receiver.name}` },
      }),
      ...(receiver.email && {
        email: {
          to: receiver.email.to,
          from: receiver.email.from,
          smarthost: `127.0.0.1:${smtpPort}`,
          requireTls: false,
        },
      }),
    })),
    timing: { critical: fast, warning: fast, info: fast },
  };
}

const alert = (labels: Record<string, string>) => ({
  labels: { environment: "production", ...labels },
  annotations: {
    summary: `${labels.alertname} summary`,
    description: `${labels.alertname} description`,
    runbook_url: `https://github.com/gomeet/gomeet/blob/main/docs/observability.md#${labels.alertname?.toLowerCase()}`,
  },
  startsAt: new Date().toISOString(),
});

interface SlackMessage {
  channel: string;
  attachments: { title: string; text: string }[];
}

const slackTitles = (received: RecordedWebhook[], receiver: string) =>
  received
    .filter((r) => r.path === `/slack/${receiver}`)
    .flatMap((r) =>
      (r.body as SlackMessage).attachments.map((a) => `${(r.body as SlackMessage).channel} ${a.title}`),
    );

const emailsMentioning = (received: RecordedEmail[], alertname: string) =>
  received.filter((e) => e.data.includes(alertname));

describe("Alertmanager delivers each severity to the receiver its route names", () => {
  let webhooks: Awaited<ReturnType<typeof startWebhookRecorder>>;
  let smtp: Awaited<ReturnType<typeof startSmtpRecorder>>;
  let server: ReturnType<typeof spawnServer>;
  let apiUrl: string;
  const dir = mkdtempSync(join(tmpdir(), "gomeet-alertmanager-"));

  beforeAll(async () => {
    webhooks = await startWebhookRecorder();
    smtp = await startSmtpRecorder();
    const configFile = join(dir, "alertmanager.yml");
    writeFileSync(configFile, renderAlertmanagerConfig(routingAgainst(webhooks.port, smtp.port)));
    const port = await freePort();
    apiUrl = `http://127.0.0.1:${port}`;
    server = spawnServer(alertmanagerBinary as string, [
      `--config.file=${configFile}`,
      `--storage.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      // Empty: no gossip listener, so nothing binds beyond the API port.
      "--cluster.listen-address=",
    ]);
    await waitFor("alertmanager to be ready", async () => {
      if (server.child.exitCode !== null) throw new Error(`alertmanager exited:\n${server.output()}`);
      return (await fetch(`${apiUrl}/-/ready`)).ok;
    });

    const response = await fetch(`${apiUrl}/api/v2/alerts`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify([
        alert({ alertname: "ApiErrorRateHigh", severity: "critical", service: "auth" }),
        alert({ alertname: "FailedLoginSpike", severity: "warning" }),
        alert({ alertname: "RateLimitHitsSpike", severity: "info", service: "chat", limiter: "messages" }),
        // Same alert and node in both severities: the critical one must mute the warning.
        alert({ alertname: "MediaNodeCpuNearCapacity", severity: "critical", instance: "10.10.0.5:6789" }),
        alert({ alertname: "MediaNodeCpuNearCapacity", severity: "warning", instance: "10.10.0.5:6789" }),
        // A warning on another node has no critical twin and must get through.
        alert({ alertname: "MediaNodeCpuNearCapacity", severity: "warning", instance: "10.10.0.6:6789" }),
      ]),
    });
    expect(response.status).toBe(200);

    await waitFor(
      "every expected notification",
      async () =>
        slackTitles(webhooks.received, "oncall-page").length >= 2 &&
        slackTitles(webhooks.received, "ops-channel").length >= 2 &&
        slackTitles(webhooks.received, "info-digest").length >= 1 &&
        smtp.received.length >= 2,
      30_000,
    );
    // Give a wrongly routed or uninhibited notification time to show up too (group_wait and interval are 1s).
    await new Promise((resolve) => setTimeout(resolve, 3_000));
  });

  afterAll(async () => {
    if (server) await stopProcess(server.child);
    await webhooks?.close();
    await smtp?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("pages on-call in Slack for critical alerts, and only critical ones", () => {
    const titles = slackTitles(webhooks.received, "oncall-page");
    expect(titles).toHaveLength(2);
    expect(titles).toContainEqual("#gomeet-oncall [FIRING] critical: ApiErrorRateHigh (production)");
    expect(titles).toContainEqual("#gomeet-oncall [FIRING] critical: MediaNodeCpuNearCapacity (production)");
  });

  it("emails on-call through the SMTP relay for critical alerts", () => {
    expect(smtp.received).toHaveLength(2);
    for (const email of smtp.received) {
      expect(email.to).toEqual(["oncall@gomeet.example"]);
      expect(email.from).toBe("alertmanager@gomeet.example");
    }
    expect(emailsMentioning(smtp.received, "ApiErrorRateHigh")).toHaveLength(1);
    expect(emailsMentioning(smtp.received, "MediaNodeCpuNearCapacity")).toHaveLength(1);
    expect(emailsMentioning(smtp.received, "FailedLoginSpike")).toHaveLength(0);
  });

  it("sends warnings to the ops channel, with the critical alert's warning twin inhibited", () => {
    const titles = slackTitles(webhooks.received, "ops-channel");
    expect(titles.sort()).toEqual([
      "#gomeet-ops [FIRING] warning: FailedLoginSpike (production)",
      "#gomeet-ops [FIRING] warning: MediaNodeCpuNearCapacity (production)",
    ]);
    const cpuWarning = webhooks.received.find(
      (r) => r.path === "/slack/ops-channel" && JSON.stringify(r.body).includes("MediaNodeCpuNearCapacity"),
    );
    expect(JSON.stringify(cpuWarning?.body)).not.toContain("10.10.0.5");
  });

  it("sends info alerts to the info channel only", () => {
    expect(slackTitles(webhooks.received, "info-digest")).toEqual([
      "#gomeet-info [FIRING] info: RateLimitHitsSpike (production)",
    ]);
    const elsewhere = webhooks.received.filter(
      (r) => r.path !== "/slack/info-digest" && JSON.stringify(r.body).includes("RateLimitHitsSpike"),
    );
    expect(elsewhere).toEqual([]);
  });

  it("reports the inhibited warning as suppressed in its API", async () => {
    const response = await fetch(`${apiUrl}/api/v2/alerts?filter=alertname%3D%22MediaNodeCpuNearCapacity%22`);
    const alerts = (await response.json()) as {
      labels: Record<string, string>;
      status: { state: string; inhibitedBy: string[] };
    }[];
    const state = (severity: string, instance: string) =>
      alerts.find((a) => a.labels.severity === severity && a.labels.instance === instance)?.status.state;
    expect(state("warning", "10.10.0.5:6789")).toBe("suppressed");
    expect(state("critical", "10.10.0.5:6789")).toBe("active");
    expect(state("warning", "10.10.0.6:6789")).toBe("active");
  });
});
