import { describe, expect, it } from "vitest";
import type { PlanGraph, PlannedResource } from "../../infra/plan/engine.ts";
import { planInline } from "../../infra/plan/plan.ts";
import { checkPlanPolicies } from "../../infra/plan/policy-check.ts";
import { SECURITY_RULES } from "../../policies/security-rules.ts";
import { named, ofType } from "./stack-helpers.ts";

/**
 * The security review of docs/security.md, over whole plans: each stack passes the security rules, and putting
 * back one of the problems it fixed fails a rule or the config check, naming it.
 */

const OAUTH_SECRET = "grafana-oauth-client-secret-0123456789";
const OPERATORS = "198.51.100.0/24";
const SECURITY = new Set(SECURITY_RULES.map((r) => r.name));
type Json = Record<string, unknown>;

interface Planned {
  graph: PlanGraph;
  secrets: unknown[];
}

async function plan(
  stack: string,
  environment: string,
  overrides: object,
  withSecret = true,
): Promise<Planned> {
  const secrets: unknown[] = [];
  const graph = await planInline({
    stack,
    environment,
    overrides,
    ...(withSecret && { secrets: { grafanaOAuthClientSecret: OAUTH_SECRET } }),
    onSecret: (v) => secrets.push(v),
  });
  return { graph, secrets };
}

const published = { monitoring: { grafana: { allowList: [OPERATORS] } } };
const securityViolations = (graph: PlanGraph) =>
  checkPlanPolicies(graph).filter((v) => SECURITY.has(v.policy));
const meta = (r: PlannedResource) => r.inputs.metadata as { name: string; namespace?: string };

describe.each([
  { stack: "production", environment: "production", overrides: published },
  { stack: "staging", environment: "staging", overrides: published },
  { stack: "eph-bob", environment: "ephemeral", overrides: {} },
])("security review of $stack", ({ stack, environment, overrides }) => {
  it("passes every security rule", async () => {
    const { graph } = await plan(stack, environment, overrides);
    expect(securityViolations(graph)).toEqual([]);
  });
});

describe("Grafana", () => {
  it("signs in through OAuth only, with the client secret in a Secret and nowhere in the chart values", async () => {
    const { graph, secrets } = await plan("staging", "staging", published);
    const release = ofType(graph, "kubernetes:helm.sh/v3:Release").find(
      (r) => r.inputs.chart === "kube-prometheus-stack",
    )!;
    const grafana = (release.inputs.values as Json).grafana as Json;
    const ini = grafana["grafana.ini"] as Record<string, Json>;
    expect(ini["auth.anonymous"]).toEqual({ enabled: false });
    expect(ini["auth.basic"]).toEqual({ enabled: false });
    expect(ini.auth).toMatchObject({ disable_login_form: true });
    expect(ini["auth.github"]).toMatchObject({ enabled: true, allowed_organizations: "gomeet" });
    expect(grafana.envValueFrom).toEqual({
      GF_AUTH_GITHUB_CLIENT_SECRET: { secretKeyRef: { name: "grafana-oauth", key: "client-secret" } },
    });
    expect(JSON.stringify(release.inputs)).not.toContain(OAUTH_SECRET);
    const secret = ofType(graph, "kubernetes:core/v1:Secret").find((s) => meta(s).name === "grafana-oauth")!;
    expect(secret.secretInputs).toEqual(["stringData.client-secret"]);
    expect(secrets).toContainEqual({ "client-secret": OAUTH_SECRET });
    const allowList = ofType(graph, "kubernetes:traefik.io/v1alpha1:Middleware").find(
      (m) => meta(m).name === "source-allow-list",
    )!;
    expect(meta(allowList).namespace).toBe("monitoring");
    expect(allowList.inputs.spec).toEqual({ ipAllowList: { sourceRange: [OPERATORS] } });
  });

  it("is not published by a stack without an allow-list, which keeps the login form for port-forwarding", async () => {
    const { graph } = await plan("eph-bob", "ephemeral", {}, false);
    const routes = ofType(graph, "kubernetes:traefik.io/v1alpha1:IngressRoute").map((r) => meta(r).name);
    expect(routes).not.toContain("grafana");
    expect(ofType(graph, "digitalocean:index/dnsRecord:DnsRecord").map((r) => r.name)).not.toContain(
      "gateway-dns-grafana",
    );
  });

  it("refuses a published Grafana without the OAuth client secret, naming the config key", async () => {
    await expect(plan("staging", "staging", published, false)).rejects.toThrow(
      /gomeet:grafanaOAuthClientSecret: expected the OAuth client secret/,
    );
  });

  it("an allow-list open to the internet fails grafana-operators-only", async () => {
    const { graph } = await plan("staging", "staging", {
      monitoring: { grafana: { allowList: ["0.0.0.0/0"] } },
    });
    expect(securityViolations(graph).map((v) => `${v.policy}: ${v.message}`)).toEqual([
      "grafana-operators-only: gateway-route-grafana: Grafana's allow-list admits 0.0.0.0/0",
    ]);
  });
});

describe("postgres-exporter", () => {
  it("connects as the monitoring user, directly, never with a service's pooled credentials", async () => {
    const { graph, secrets } = await plan("production", "production", published);
    expect(
      named(graph, "digitalocean:index/databaseUser:DatabaseUser", "postgres-user-monitoring").inputs,
    ).toMatchObject({ name: "monitoring" });
    const connection = secrets.find(
      (s): s is Record<string, string> => typeof s === "object" && s !== null && "data-source-name" in s,
    );
    expect(connection?.["data-source-name"]).toMatch(
      /^postgresql:\/\/monitoring:[^@]+@private-gomeet-production-pg-[^:]+:25060\/defaultdb\?sslmode=require$/,
    );
  });
});

describe("stack-scoped selectors", () => {
  it("the media firewall of one stack selects only that stack's media nodes", async () => {
    // One offline plan at a time per process.
    const a = await plan("staging", "staging", published);
    const b = await plan("eph-bob", "ephemeral", {});
    const tags = (g: PlanGraph) =>
      named(g, "digitalocean:index/firewall:Firewall", "livekit-webrtc-firewall").inputs.tags;
    expect(tags(a.graph)).toEqual(["pool:media:staging"]);
    expect(tags(b.graph)).toEqual(["pool:media:eph-bob"]);
    const bNodes = named(b.graph, "digitalocean:index/kubernetesNodePool:KubernetesNodePool", "cluster-media")
      .inputs.tags as string[];
    expect(bNodes).not.toContain("pool:media:staging");
  });
});
