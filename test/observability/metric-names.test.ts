import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { metricNamesInDashboard } from "../../components/observability/dashboards/metric-names.ts";
import { platformDashboards } from "../../components/observability/dashboards/platform-dashboards.ts";
import { EXPORTER_METRICS } from "../../components/observability/exporter-metrics.ts";
import { metricNamesInPromQL } from "../../components/observability/promql-metric-names.ts";
import { prometheusRuleGroups } from "../../components/observability/rules.ts";
import { findExecutable, freePort, spawnServer, stopProcess, waitFor } from "../support/processes.ts";
import { productionDashboardsInput, productionRulesInput } from "./fixtures.ts";
import { scrapeLiveKitUnderLoad } from "./livekit-metrics.ts";
import { contractMetricNames, exposedMetricNames } from "./metric-sources.ts";

type Source = "docs/metrics.md" | "livekit-server /metrics" | `exporter: ${string}` | "MISSING";

const dashboardNames = platformDashboards(productionDashboardsInput).flatMap(metricNamesInDashboard);
const ruleNames = prometheusRuleGroups(productionRulesInput)
  .flatMap((group) => group.rules)
  .flatMap((rule) => metricNamesInPromQL(rule.expr));
const referenced = [...new Set([...dashboardNames, ...ruleNames])].sort();
const contract = contractMetricNames();
const exporters = new Map(EXPORTER_METRICS.map((m) => [m.name, m]));
const fromLiveKit = referenced.filter((name) => !contract.has(name) && !exporters.has(name));

describe("every metric name in the rules and dashboards exists", () => {
  let livekitNames = new Set<string>();

  beforeAll(async () => {
    livekitNames = await scrapeLiveKitUnderLoad(fromLiveKit);
  }, 90_000);

  function sourceOf(name: string): Source {
    if (contract.has(name)) return "docs/metrics.md";
    const exporter = exporters.get(name);
    if (exporter) return `exporter: ${exporter.exporter}`;
    return livekitNames.has(name) ? "livekit-server /metrics" : "MISSING";
  }

  it("finds each referenced name in the contract, the exporter list or a running livekit-server", () => {
    const table = referenced.map((name) => ({ name, source: sourceOf(name) }));
    console.info(table.map((row) => `${row.source.padEnd(28)} ${row.name}`).join("\n"));
    expect(table.filter((row) => row.source === "MISSING")).toEqual([]);
    // Not vacuous: the LiveKit panels really are checked against the live server.
    expect(fromLiveKit).toEqual(
      expect.arrayContaining([
        "livekit_room_total",
        "livekit_packet_loss_percent_bucket",
        "process_cpu_seconds_total",
      ]),
    );
  });

  it("would flag a name that nothing exposes", () => {
    expect(sourceOf("livekit_rooms_open")).toBe("MISSING");
    expect(sourceOf("gomeet_http_request_seconds_bucket")).toBe("MISSING");
  });

  it("documents only exporter names that some rule or dashboard uses", () => {
    expect(EXPORTER_METRICS.map((m) => m.name).filter((name) => !referenced.includes(name))).toEqual([]);
  });
});

describe("node-exporter names against the real binary", () => {
  const binary =
    findExecutable("node_exporter", ["/usr/bin", "/usr/local/bin"]) ??
    findExecutable("prometheus-node-exporter", ["/usr/bin", "/usr/local/bin"]);

  // node-exporter comes with Debian's prometheus package as a Recommends; where it is absent the list's
  // citations stand alone, and this check says so instead of passing silently.
  it.skipIf(!binary)("exposes every node-exporter name the exporter list cites", async () => {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), "gomeet-node-exporter-"));
    const server = spawnServer(binary as string, [
      `--web.listen-address=127.0.0.1:${port}`,
      "--collector.disable-defaults",
      "--collector.netdev",
      `--collector.textfile.directory=${dir}`,
    ]);
    try {
      let names = new Set<string>();
      await waitFor("node-exporter metrics", async () => {
        if (server.child.exitCode !== null) throw new Error(`node-exporter exited:\n${server.output()}`);
        const response = await fetch(`http://127.0.0.1:${port}/metrics`);
        names = exposedMetricNames(await response.text());
        return response.ok;
      });
      const cited = EXPORTER_METRICS.filter((m) => m.exporter === "node-exporter").map((m) => m.name);
      expect(cited.length).toBeGreaterThan(0);
      expect(cited.filter((name) => !names.has(name))).toEqual([]);
    } finally {
      await stopProcess(server.child);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
