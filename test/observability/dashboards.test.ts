import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { liveKitDashboard } from "../../components/observability/dashboards/livekit.ts";
import {
  dashboardQueries,
  metricNamesInDashboard,
} from "../../components/observability/dashboards/metric-names.ts";
import {
  platformDashboards,
  renderDashboardFiles,
} from "../../components/observability/dashboards/platform-dashboards.ts";
import { servicesDashboard } from "../../components/observability/dashboards/services.ts";
import { execFileAsync, findExecutable } from "../support/processes.ts";
import { productionDashboardsInput } from "./fixtures.ts";

const promtool = findExecutable("promtool", ["/usr/bin", "/usr/local/bin"]);
if (!promtool)
  throw new Error("promtool not found: run scripts/install-test-deps.sh (Debian package prometheus)");

const workDir = mkdtempSync(join(tmpdir(), "gomeet-dashboards-"));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

const dashboards = platformDashboards(productionDashboardsInput);

describe("Grafana dashboards", () => {
  it("cover LiveKit, TURN, services and the data stores, with unique uids", () => {
    expect(dashboards.map((d) => d.uid)).toEqual([
      "gomeet-livekit",
      "gomeet-turn",
      "gomeet-services",
      "gomeet-data-stores",
    ]);
    expect(Object.keys(renderDashboardFiles(productionDashboardsInput))).toEqual(
      dashboards.map((d) => `${d.uid}.json`),
    );
  });

  it.each(dashboards.map((d) => [d.uid, d] as const))(
    "%s is valid JSON that survives a round trip",
    (_, dashboard) => {
      const text = renderDashboardFiles(productionDashboardsInput)[`${dashboard.uid}.json`] ?? "";
      expect(JSON.parse(text)).toEqual(dashboard);
    },
  );

  it.each(dashboards.map((d) => [d.uid, d] as const))(
    "%s has a sound layout and a query on every panel",
    (_, dashboard) => {
      expect(dashboard.templating.list).toContainEqual(
        expect.objectContaining({ name: "datasource", type: "datasource" }),
      );
      expect(dashboard.panels.map((p) => p.id)).toEqual(dashboard.panels.map((_, i) => i + 1));
      const occupied = new Set<string>();
      for (const panel of dashboard.panels) {
        const { x, y, w, h } = panel.gridPos;
        expect(x + w, panel.title).toBeLessThanOrEqual(24);
        for (let col = x; col < x + w; col++) {
          for (let row = y; row < y + h; row++) {
            expect(occupied.has(`${col},${row}`), `${panel.title} overlaps another panel`).toBe(false);
            occupied.add(`${col},${row}`);
          }
        }
        expect(panel.targets.length, panel.title).toBeGreaterThan(0);
        for (const target of panel.targets) {
          expect(target.expr.trim()).not.toBe("");
          // biome-ignore lint/suspicious/noTemplateCurlyInString: the Grafana variable reference, literally.
          expect(target.datasource.uid).toBe("${datasource}");
        }
      }
    },
  );

  it("has only queries that Prometheus' own parser accepts (promtool check rules on them as recording rules)", async () => {
    const rules = dashboards.flatMap((dashboard) =>
      dashboard.panels.flatMap((panel) =>
        panel.targets.map((target) => ({
          record: `dashboard_query_check:${dashboard.uid.replace(/-/g, "_")}_${panel.id}_${target.refId}`,
          expr: target.expr,
        })),
      ),
    );
    writeFileSync(
      join(workDir, "dashboard-queries.yml"),
      stringify({ groups: [{ name: "dashboard-queries", rules }] }),
    );
    const { stdout } = await execFileAsync(promtool as string, ["check", "rules", "dashboard-queries.yml"], {
      cwd: workDir,
    });
    expect(stdout).toContain(`SUCCESS: ${rules.length} rules found`);
    expect(rules.length).toBe(dashboards.flatMap(dashboardQueries).length);
  });

  it("lists the metric names of a dashboard's queries", () => {
    expect(metricNamesInDashboard(servicesDashboard())).toEqual([
      "gomeet_auth_denied_total",
      "gomeet_auth_login_failures_total",
      "gomeet_http_request_duration_seconds_bucket",
      "gomeet_http_requests_total",
      "gomeet_meeting_joins_total",
      "gomeet_rate_limited_total",
      "gomeet_ws_connections",
    ]);
  });

  it("draws the media node's capacity from its input", () => {
    const panels = liveKitDashboard({ livekitJob: "livekit", mediaNode: { vcpus: 32, nicGbps: 25 } }).panels;
    expect(panels.map((p) => p.title)).toContain("Node CPU (share of 32 vCPUs)");
    expect(panels.flatMap((p) => p.targets.map((t) => t.expr))).toContain("vector(25000000000)");
  });

  it("rejects a job name that would break out of a label matcher, naming the field", () => {
    expect(() => platformDashboards({ ...productionDashboardsInput, livekitJob: 'x"}' })).toThrow(
      'observability.dashboards.livekit.livekitJob: expected a scrape job name (A-Z a-z 0-9 _ . : / -), got "x\\"}"',
    );
  });
});
