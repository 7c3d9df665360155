import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
  type AlertmanagerConfigInput,
  alertmanagerSecrets,
  renderAlertmanagerConfig,
  renderRedactedAlertmanagerConfig,
} from "../../components/observability/alertmanager.ts";
import { execFileAsync, findExecutable } from "../support/processes.ts";
import { productionAlertmanagerInput, stagingAlertmanagerInput } from "./fixtures.ts";

const amtool = findExecutable("amtool", ["/usr/bin", "/usr/local/bin"]);
if (!amtool)
  throw new Error(
    "amtool not found: run scripts/install-test-deps.sh (Debian package prometheus-alertmanager)",
  );

const workDir = mkdtempSync(join(tmpdir(), "gomeet-amtool-"));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

async function runAmtool(args: string[]): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await execFileAsync(amtool as string, args, { cwd: workDir });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, output: `${failed.stdout ?? ""}${failed.stderr ?? ""}` };
  }
}

describe.each([
  [
    "staging",
    stagingAlertmanagerInput,
    { critical: "staging-oncall", warning: "staging-slack", info: "staging-slack" },
  ],
  [
    "production",
    productionAlertmanagerInput,
    { critical: "oncall-page", warning: "ops-channel", info: "info-digest" },
  ],
])("Alertmanager config for %s", (label, input, expectedReceivers) => {
  const file = `${label}-alertmanager.yml`;

  it("passes amtool check-config", async () => {
    writeFileSync(join(workDir, file), renderAlertmanagerConfig(input));
    const result = await runAmtool(["check-config", file]);
    expect(result.output).toContain("SUCCESS");
    expect(result.output).toContain(`${input.receivers.length} receivers`);
    expect(result.output).toContain("1 inhibit rules");
    expect(result.code).toBe(0);
  });

  it.each(["critical", "warning", "info"] as const)(
    "routes severity=%s to its receiver (amtool config routes test)",
    async (severity) => {
      writeFileSync(join(workDir, file), renderAlertmanagerConfig(input));
      const result = await runAmtool([
        "config",
        "routes",
        "test",
        `--config.file=${file}`,
        `severity=${severity}`,
        "alertname=AnyAlert",
      ]);
      expect(result.output.split("\n")[0]?.trim()).toBe(expectedReceivers[severity]);
    },
  );

  it("sends an alert without a known severity to the default receiver", async () => {
    writeFileSync(join(workDir, file), renderAlertmanagerConfig(input));
    const result = await runAmtool([
      "config",
      "routes",
      "test",
      `--config.file=${file}`,
      "alertname=Watchdog",
    ]);
    expect(result.output.split("\n")[0]?.trim()).toBe(input.defaultReceiver);
  });

  it("keeps secrets out of the redacted rendering, which is otherwise the same config", () => {
    const secrets = alertmanagerSecrets(input);
    expect(secrets.length).toBeGreaterThan(0);
    const full = renderAlertmanagerConfig(input);
    const redacted = renderRedactedAlertmanagerConfig(input);
    for (const secret of secrets) {
      expect(full).toContain(secret);
      expect(redacted).not.toContain(secret);
    }
    expect(redacted).toContain("<redacted>");
    const withoutSecrets = (text: string) => {
      let out = text;
      for (const secret of secrets) out = out.split(secret).join("<redacted>");
      return out;
    };
    expect(parse(redacted)).toEqual(parse(withoutSecrets(full)));
  });
});

describe("Alertmanager config input errors", () => {
  const secretUrl = "http://hooks.slack.com/services/T0/B0/leakedToken123";
  const withSlackUrl = (webhookUrl: string): AlertmanagerConfigInput => ({
    ...productionAlertmanagerInput,
    receivers: productionAlertmanagerInput.receivers.map((r, i) =>
      i === 1 && r.slack ? { ...r, slack: { ...r.slack, webhookUrl } } : r,
    ),
  });

  it("names the field and rule of a bad webhook URL without echoing the secret", () => {
    let message = "";
    try {
      renderAlertmanagerConfig(withSlackUrl(secretUrl));
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toBe(
      "observability.alertmanager.receivers.1.slack.webhookUrl: expected an https URL (http only for loopback), got a value (redacted: secret field)",
    );
    expect(message).not.toContain("leakedToken123");
  });

  it("rejects a route to a receiver that does not exist", () => {
    expect(() =>
      renderAlertmanagerConfig({
        ...productionAlertmanagerInput,
        routes: { ...productionAlertmanagerInput.routes, info: "nobody" },
      }),
    ).toThrow(
      'observability.alertmanager.routes.info: expected one of the receivers (oncall-page, ops-channel, info-digest), got "nobody"',
    );
  });

  it("refuses to send email in clear text to a non-loopback smarthost", () => {
    const receiver = productionAlertmanagerInput.receivers[0];
    const email = receiver?.email;
    if (!receiver || !email)
      throw new Error("fixture changed: the first production receiver must have email");
    const render = () =>
      renderAlertmanagerConfig({
        ...productionAlertmanagerInput,
        receivers: [
          { ...receiver, email: { ...email, requireTls: false } },
          ...productionAlertmanagerInput.receivers.slice(1),
        ],
      });
    expect(render).toThrow(
      /observability\.alertmanager\.receivers\.0\.email: expected requireTls: true for a non-loopback smarthost/,
    );
    // The offending value is the whole email block: its password must be masked in the message.
    const message = (() => {
      try {
        render();
        return "";
      } catch (error) {
        return (error as Error).message;
      }
    })();
    expect(message).toContain('"authPassword":"<redacted>"');
    expect(message).not.toContain("SG.production-smtp-password");
  });

  it("rejects a receiver with no channel", () => {
    expect(() =>
      renderAlertmanagerConfig({
        ...productionAlertmanagerInput,
        receivers: [...productionAlertmanagerInput.receivers, { name: "empty" }],
      }),
    ).toThrow(
      'observability.alertmanager.receivers.3: expected at least one of slack or email, got {"name":"empty"}',
    );
  });
});
