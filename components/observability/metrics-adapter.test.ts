import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { execFileAsync, findExecutable } from "../../test/support/processes.ts";
import {
  MEDIA_NODES_NEEDED_METRIC,
  mediaNodesNeededRule,
  metricsAdapterValues,
  resourceMetricsRules,
} from "./metrics-adapter.ts";

const promtool = findExecutable("promtool", ["/usr/bin", "/usr/local/bin"]);
if (!promtool)
  throw new Error("promtool not found: run scripts/install-test-deps.sh (Debian package prometheus)");

const workDir = mkdtempSync(join(tmpdir(), "gomeet-metrics-adapter-"));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

const source = { servicesNamespace: "services", service: "meetings" };

/**
 * What prometheus-adapter sends to Prometheus for a rule: its Go-template fields filled in (prometheus-adapter's
 * docs, https://github.com/kubernetes-sigs/prometheus-adapter/blob/master/docs/config.md, "Querying": Series is the metric name, LabelMatchers the request's selector, GroupBy the resource labels).
 * Anything else left between `<<` and `>>` would reach Prometheus verbatim, so it is an error here.
 */
function expandAdapterQuery(
  template: string,
  fill: { series: string; labelMatchers: string; groupBy: string },
): string {
  const expanded = template
    .replaceAll("<<.Series>>", fill.series)
    .replaceAll("<<.LabelMatchers>>", fill.labelMatchers)
    .replaceAll("<<.GroupBy>>", fill.groupBy);
  if (expanded.includes("<<"))
    throw new Error(`query keeps a template field the adapter would not fill: ${template}`);
  return expanded;
}

async function promtoolIn(dir: string, args: string[]): Promise<string> {
  const { stdout } = await execFileAsync(promtool as string, args, { cwd: dir });
  return stdout;
}

describe("metrics adapter rules", () => {
  it("expose the meetings gauge as a cluster-wide External metric, folded across replicas per window", () => {
    expect(mediaNodesNeededRule(source)).toEqual({
      seriesQuery: 'gomeet_media_nodes_needed{namespace="services",service="meetings",window!=""}',
      resources: { namespaced: false },
      name: { matches: "^gomeet_media_nodes_needed$", as: MEDIA_NODES_NEEDED_METRIC },
      metricsQuery:
        'max by (window) (<<.Series>>{namespace="services",service="meetings",<<.LabelMatchers>>})',
    });
  });

  it("refuses a namespace or service that would break out of the label matcher, naming the field", () => {
    expect(() => mediaNodesNeededRule({ ...source, servicesNamespace: 'services"}' })).toThrow(
      'observability.metricsAdapter.servicesNamespace: expected a Kubernetes name (a-z 0-9 -), got "services\\"}"',
    );
    expect(() => mediaNodesNeededRule({ ...source, service: "" })).toThrow(
      'observability.metricsAdapter.service: expected a Kubernetes name (a-z 0-9 -), got ""',
    );
  });

  it("register only the external and resource metric APIs, with a disruption budget only when replicated", () => {
    const single = metricsAdapterValues({ highAvailability: false, externalRules: [] });
    const ha = metricsAdapterValues({ highAvailability: true, externalRules: [] });
    expect(single.rules).toMatchObject({ default: false, custom: [] });
    expect(single).toMatchObject({ replicas: 1, podDisruptionBudget: { enabled: false } });
    expect(ha).toMatchObject({ replicas: 2, podDisruptionBudget: { enabled: true, maxUnavailable: 1 } });
    expect(single.prometheus).toEqual({
      url: "http://monitoring-prometheus.monitoring.svc",
      port: 9090,
      path: "",
    });
  });

  it("give queries Prometheus' own parser accepts once the adapter fills them (promtool check rules)", async () => {
    const rule = mediaNodesNeededRule(source);
    const resource = resourceMetricsRules();
    const queries = [
      // The HPA's selectors, and an empty one (the matcher list then ends in a comma).
      ...['window="lead"', 'window="now"', ""].map((labelMatchers) =>
        expandAdapterQuery(rule.metricsQuery, {
          series: MEDIA_NODES_NEEDED_METRIC,
          labelMatchers,
          groupBy: "",
        }),
      ),
      ...[resource.cpu, resource.memory].flatMap((r) => [
        expandAdapterQuery(r.containerQuery, {
          series: "",
          labelMatchers: 'namespace="media",pod=~"livekit-.*"',
          groupBy: "namespace,pod",
        }),
        expandAdapterQuery(r.nodeQuery, {
          series: "",
          labelMatchers: 'node="pool-media-1"',
          groupBy: "node",
        }),
      ]),
    ];
    const rules = queries.map((expr, i) => ({ record: `adapter_query_check:q${i}`, expr }));
    writeFileSync(join(workDir, "adapter-queries.yml"), stringify({ groups: [{ name: "adapter", rules }] }));
    const out = await promtoolIn(workDir, ["check", "rules", "adapter-queries.yml"]);
    expect(out).toContain(`SUCCESS: ${rules.length} rules found`);
  });

  it("answer max over meetings replicas per window and ignore other namespaces and services (promtool test rules)", async () => {
    const rule = mediaNodesNeededRule(source);
    const query = (window: string) =>
      expandAdapterQuery(rule.metricsQuery, {
        series: MEDIA_NODES_NEEDED_METRIC,
        labelMatchers: `window="${window}"`,
        groupBy: "",
      });
    writeFileSync(
      join(workDir, "media-nodes.yml"),
      stringify({
        groups: [
          {
            name: "hpa",
            rules: [
              { record: "hpa:media_nodes:lead", expr: query("lead") },
              { record: "hpa:media_nodes:now", expr: query("now") },
            ],
          },
        ],
      }),
    );
    const series = (labels: string, values: string) => ({
      series: `${MEDIA_NODES_NEEDED_METRIC}{${labels}}`,
      values,
    });
    const replica = (pod: string, window: string) =>
      `namespace="services",service="meetings",pod="${pod}",window="${window}"`;
    writeFileSync(
      join(workDir, "media-nodes.test.yml"),
      stringify({
        rule_files: ["media-nodes.yml"],
        evaluation_interval: "1m",
        tests: [
          {
            interval: "1m",
            input_series: [
              // Two meetings replicas; one scraped before a meeting was scheduled, the other after.
              series(replica("meetings-a", "lead"), "2 2 2 2 2 2"),
              series(replica("meetings-b", "lead"), "2 2 6 6 6 6"),
              series(replica("meetings-a", "now"), "1 1 1 3 3 3"),
              series(replica("meetings-b", "now"), "1 1 1 1 1 1"),
              // Same name elsewhere: must not move the media fleet.
              series('namespace="default",service="meetings",pod="x",window="lead"', "40 40 40 40 40 40"),
              series('namespace="services",service="chat",pod="y",window="now"', "30 30 30 30 30 30"),
            ],
            promql_expr_test: [
              {
                expr: "hpa:media_nodes:lead",
                eval_time: "1m",
                exp_samples: [{ labels: 'hpa:media_nodes:lead{window="lead"}', value: 2 }],
              },
              {
                expr: "hpa:media_nodes:lead",
                eval_time: "4m",
                exp_samples: [{ labels: 'hpa:media_nodes:lead{window="lead"}', value: 6 }],
              },
              {
                expr: "hpa:media_nodes:now",
                eval_time: "1m",
                exp_samples: [{ labels: 'hpa:media_nodes:now{window="now"}', value: 1 }],
              },
              {
                expr: "hpa:media_nodes:now",
                eval_time: "4m",
                exp_samples: [{ labels: 'hpa:media_nodes:now{window="now"}', value: 3 }],
              },
            ],
          },
        ],
      }),
    );
    const out = await promtoolIn(workDir, ["test", "rules", "media-nodes.test.yml"]);
    expect(out).toContain("SUCCESS");
  });
});
