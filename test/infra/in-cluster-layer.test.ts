import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { NAMESPACES, POD_SECURITY } from "../../components/baseline/namespaces.ts";
import { PRIORITY_CLASSES } from "../../components/baseline/priority-classes.ts";
import { CERT_MANAGER_CHART, TRAEFIK_CHART } from "../../components/gateway/charts.ts";
import {
  PUBLIC_MIDDLEWARES,
  PUBLIC_ROUTES,
  SOURCE_ALLOW_LIST_MIDDLEWARE,
} from "../../components/gateway/routes.ts";
import { alertmanagerInputFromChannels } from "../../components/observability/alert-receivers.ts";
import { renderAlertmanagerConfig } from "../../components/observability/alertmanager.ts";
import { renderDashboardFiles } from "../../components/observability/dashboards/platform-dashboards.ts";
import { PROMETHEUS_ADAPTER_CHART } from "../../components/observability/metrics-adapter.ts";
import { KUBE_PROMETHEUS_STACK_CHART } from "../../components/observability/monitoring-chart.ts";
import type { PlanGraph, PlannedResource } from "../../infra/plan/engine.ts";
import { fakePublicIpv4 } from "../../infra/plan/fake-outputs.ts";
import { planInline } from "../../infra/plan/plan.ts";
import { loadPlatformConfig } from "../../stacks/loader.ts";
import type { PlatformConfig } from "../../stacks/schema.ts";
import { execFileAsync, findExecutable } from "../support/processes.ts";
import { named, ofType, onlyUnder } from "./stack-helpers.ts";

const SLACK_WEBHOOK = "https://hooks.slack.com/services/T0GOMEET/B0INCLUSTER/inClusterSecretToken9";
const DNS_TOKEN = "dop_v1_incluster_dns_token_0123456789abcdef";
const GRAFANA_OAUTH_SECRET = "grafana-oauth-client-secret-0123456789";
/** Stacks with secrets also publish Grafana to an operators' range; the ephemeral one keeps it private. */
const OPERATORS = { monitoring: { grafana: { allowList: ["198.51.100.0/24"] } } };

const STACKS = [
  { stack: "production", environment: "production", secrets: true },
  { stack: "staging", environment: "staging", secrets: true },
  { stack: "eph-alice", environment: "ephemeral", secrets: false },
] as const;

const T = {
  namespace: "kubernetes:core/v1:Namespace",
  networkPolicy: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
  quota: "kubernetes:core/v1:ResourceQuota",
  limitRange: "kubernetes:core/v1:LimitRange",
  priorityClass: "kubernetes:scheduling.k8s.io/v1:PriorityClass",
  release: "kubernetes:helm.sh/v3:Release",
  ingressRoute: "kubernetes:traefik.io/v1alpha1:IngressRoute",
  middleware: "kubernetes:traefik.io/v1alpha1:Middleware",
  certificate: "kubernetes:cert-manager.io/v1:Certificate",
  clusterIssuer: "kubernetes:cert-manager.io/v1:ClusterIssuer",
  secret: "kubernetes:core/v1:Secret",
  configMap: "kubernetes:core/v1:ConfigMap",
  serviceMonitor: "kubernetes:monitoring.coreos.com/v1:ServiceMonitor",
  prometheusRule: "kubernetes:monitoring.coreos.com/v1:PrometheusRule",
  deployment: "kubernetes:apps/v1:Deployment",
  dnsRecord: "digitalocean:index/dnsRecord:DnsRecord",
  uptimeCheck: "digitalocean:index/uptimeCheck:UptimeCheck",
  uptimeAlert: "digitalocean:index/uptimeAlert:UptimeAlert",
  password: "random:index/randomPassword:RandomPassword",
} as const;

type Json = Record<string, unknown>;
const meta = (r: PlannedResource) => r.inputs.metadata as { name: string; namespace?: string; labels?: Json };
const spec = (r: PlannedResource) => r.inputs.spec as Json;
const inNamespace = (graph: PlanGraph, type: string, namespace: string) =>
  ofType(graph, type).filter((r) => meta(r).namespace === namespace);
const release = (graph: PlanGraph, chart: string) => {
  const found = ofType(graph, T.release).find((r) => r.inputs.chart === chart);
  if (!found) throw new Error(`no Helm release of chart ${chart}`);
  return found;
};

describe.each(STACKS)("in-cluster layer — $stack", ({ stack, environment, secrets }) => {
  let graph: PlanGraph;
  let config: PlatformConfig;
  const secretValues: unknown[] = [];

  beforeAll(async () => {
    graph = await planInline({
      stack,
      environment,
      ...(secrets && {
        secrets: {
          alertSlackWebhookUrl: SLACK_WEBHOOK,
          digitaloceanDnsToken: DNS_TOKEN,
          grafanaOAuthClientSecret: GRAFANA_OAUTH_SECRET,
        },
        overrides: OPERATORS,
      }),
      onSecret: (value) => secretValues.push(value),
    });
    config = loadPlatformConfig({ environment, stack, ...(secrets && { overrides: OPERATORS }) });
  });

  it("creates one namespace per area with Pod Security labels pinned to the cluster minor", () => {
    const namespaces = ofType(graph, T.namespace).filter((r) => r.name.startsWith("baseline-"));
    expect(namespaces.map((n) => meta(n).name).sort()).toEqual(Object.values(NAMESPACES).sort());
    const version = `v${config.cluster.version.split(".").slice(0, 2).join(".")}`;
    for (const ns of namespaces) {
      const labels = meta(ns).labels as Record<string, string>;
      const key = (Object.keys(NAMESPACES) as (keyof typeof NAMESPACES)[]).find(
        (k) => NAMESPACES[k] === meta(ns).name,
      )!;
      expect(labels["pod-security.kubernetes.io/enforce"]).toBe(POD_SECURITY[key].enforce);
      expect(labels["pod-security.kubernetes.io/enforce-version"]).toBe(version);
      expect(labels["pod-security.kubernetes.io/warn"]).toBe(POD_SECURITY[key].warn);
    }
    const enforce = (name: string) =>
      (meta(namespaces.find((n) => meta(n).name === name)!).labels as Record<string, string>)[
        "pod-security.kubernetes.io/enforce"
      ];
    expect(enforce("services")).toBe("restricted");
    expect(enforce("gateway")).toBe("restricted");
    expect(enforce("cert-manager")).toBe("restricted");
    // hostNetwork (LiveKit, node-exporter) is refused by baseline: privileged is the least that admits it.
    expect(enforce("media")).toBe("privileged");
    expect(enforce("monitoring-node")).toBe("privileged");
    expect(enforce("monitoring")).toBe("baseline");
  });

  it("closes every namespace by default and allows DNS", () => {
    for (const namespace of Object.values(NAMESPACES)) {
      const policies = inNamespace(graph, T.networkPolicy, namespace);
      const deny = policies.find((p) => meta(p).name === "default-deny");
      expect(deny, namespace).toBeDefined();
      expect(spec(deny!)).toEqual({
        podSelector: {},
        policyTypes: ["Ingress", "Egress"],
        ingress: [],
        egress: [],
      });
      const dns = policies.find((p) => meta(p).name === "allow-dns");
      expect(JSON.stringify(spec(dns!).egress)).toContain('"k8s-app":"kube-dns"');
      for (const p of policies)
        expect(p.dependencies.some((d) => d.endsWith(`baseline-ns-${namespace}`))).toBe(true);
    }
  });

  it("allows exactly the platform's flows", () => {
    const rules = (namespace: string, name: string, direction: "ingress" | "egress") => {
      const policy = inNamespace(graph, T.networkPolicy, namespace).find((p) => meta(p).name === name);
      if (!policy) throw new Error(`no NetworkPolicy ${namespace}/${name}`);
      return spec(policy)[direction] as { from?: Json[]; to?: Json[]; ports: Json[] }[];
    };
    const peerNamespace = (peer: Json) =>
      (peer.namespaceSelector as { matchLabels: Record<string, string> } | undefined)?.matchLabels[
        "kubernetes.io/metadata.name"
      ];
    const ports = (list: Json[]) => list.map((p) => p.port);

    const fromGateway = rules("services", "allow-from-gateway", "ingress")[0]!;
    expect(fromGateway.from!.map(peerNamespace)).toEqual(["gateway"]);
    expect(ports(fromGateway.ports)).toEqual([8080]);

    const databases = rules("services", "allow-databases", "egress")[0]!;
    expect(databases.to).toEqual([{ ipBlock: { cidr: config.network.vpcCidr } }]);
    expect(ports(databases.ports)).toEqual([25061]);

    const scrapes = rules("monitoring", "allow-scrapes", "egress");
    expect(scrapes.flatMap((r) => r.to!.map(peerNamespace)).filter(Boolean)).toEqual(
      expect.arrayContaining(["services", "gateway", "cert-manager", "media", "monitoring-node"]),
    );
    for (const [namespace, port] of [
      ["services", 8080],
      ["gateway", 9100],
      ["media", 6789],
      ["cert-manager", 9402],
      ["monitoring-node", 9100],
    ] as const) {
      const allow = inNamespace(graph, T.networkPolicy, namespace).find(
        (p) => meta(p).name === "allow-metrics-scrape",
      );
      const ingress = (spec(allow!).ingress as { from: Json[]; ports: Json[] }[])[0]!;
      expect(ingress.from.map(peerNamespace), namespace).toEqual(["monitoring"]);
      expect(ports(ingress.ports), namespace).toContain(port);
    }
    const publicIngress = rules("gateway", "allow-public-ingress", "ingress")[0]!;
    expect(ports(publicIngress.ports)).toEqual([8000, 8443]);
    // Nothing but the gateway admits traffic from anywhere, except the API server's webhook calls.
    for (const p of ofType(graph, T.networkPolicy)) {
      for (const rule of (spec(p).ingress ?? []) as { from: Json[]; ports: Json[] }[]) {
        if (JSON.stringify(rule.from).includes("0.0.0.0/0")) {
          expect([meta(p).namespace, ports(rule.ports)]).toSatisfy(
            ([ns, list]: [string, number[]]) =>
              (ns === "gateway" && list.join() === "8000,8443") || list.join() === "10250",
          );
        }
      }
    }
  });

  it("bounds every namespace with a quota and container defaults sized from config", () => {
    for (const namespace of Object.values(NAMESPACES)) {
      const quota = inNamespace(graph, T.quota, namespace).find((q) => meta(q).name === "compute");
      const hard = (spec(quota!).hard ?? {}) as Record<string, string>;
      for (const key of ["requests.cpu", "limits.cpu", "requests.memory", "limits.memory", "pods"]) {
        expect(hard[key], `${namespace} ${key}`).toBeDefined();
      }
      expect(hard["services.loadbalancers"]).toBe(namespace === "gateway" ? "1" : "0");
      // Traefik's LoadBalancer Service allocates a NodePort per published entry point (web, websecure).
      expect(hard["services.nodeports"]).toBe(namespace === "gateway" ? "2" : "0");
      const limits = inNamespace(graph, T.limitRange, namespace)[0]!;
      const container = (spec(limits).limits as Json[])[0]!;
      expect(container.type).toBe("Container");
      expect(container.defaultRequest).toBeDefined();
      expect(container.default).toBeDefined();
    }
    const services = inNamespace(graph, T.quota, "services").find((q) => meta(q).name === "compute")!;
    // Every service at its HPA maximum, plus one rollout surge pod and one migration Job pod each, plus 5 spare.
    const expectedPods =
      5 +
      (config.services.auth.maxReplicas + 2) +
      (config.services.meetings.maxReplicas + 2) +
      (config.services.chat.maxReplicas + 2);
    expect((spec(services).hard as Record<string, string>).pods).toBe(String(expectedPods));
    // The services' LimitRange max is the largest limit (CPU limit = 2× the request), not the largest request.
    const servicesLimits = (spec(inNamespace(graph, T.limitRange, "services")[0]!).limits as Json[])[0]!;
    const largestCpuRequest = Math.max(
      ...(["auth", "meetings", "chat"] as const).map((s) => Number.parseInt(config.services[s].cpu, 10)),
    );
    expect((servicesLimits.max as Json).cpu).toBe(`${2 * largestCpuRequest}m`);
    // Prometheus keeps one volume per replica (two on HA stacks).
    const monitoring = inNamespace(graph, T.quota, "monitoring").find((q) => meta(q).name === "compute")!;
    const prometheusReplicas = config.cluster.highAvailability ? 2 : 1;
    expect((spec(monitoring).hard as Record<string, string>)["requests.storage"]).toBe(
      `${prometheusReplicas * config.monitoring.storageGi}Gi`,
    );
  });

  it("gives media pods the top priority and lets nothing else preempt or borrow it", () => {
    const classes = ofType(graph, T.priorityClass);
    const media = classes.find((c) => meta(c).name === PRIORITY_CLASSES.media.name)!;
    expect(media.inputs.preemptionPolicy).toBe("PreemptLowerPriority");
    for (const other of classes.filter((c) => c !== media)) {
      expect(other.inputs.preemptionPolicy).toBe("Never");
      expect(other.inputs.value as number).toBeLessThan(media.inputs.value as number);
      expect(other.inputs.globalDefault).toBe(false);
    }
    for (const namespace of Object.values(NAMESPACES)) {
      const guard = inNamespace(graph, T.quota, namespace).find((q) => meta(q).name === "no-media-priority");
      if (namespace === "media") expect(guard).toBeUndefined();
      else
        expect(spec(guard!)).toEqual({
          hard: { pods: "0" },
          scopeSelector: {
            matchExpressions: [
              { scopeName: "PriorityClass", operator: "In", values: [PRIORITY_CLASSES.media.name] },
            ],
          },
        });
    }
  });

  it("pins every chart version", () => {
    const pinned = [TRAEFIK_CHART, CERT_MANAGER_CHART, KUBE_PROMETHEUS_STACK_CHART, PROMETHEUS_ADAPTER_CHART];
    for (const chart of pinned) {
      const r = release(graph, chart.chart);
      expect(r.inputs.version).toBe(chart.version);
      expect(r.inputs.version).toMatch(/^v?\d+\.\d+\.\d+$/);
      expect((r.inputs.repositoryOpts as Json).repo).toBe(chart.repo);
    }
    expect(ofType(graph, T.release)).toHaveLength(pinned.length);
  });

  it("puts Traefik behind a DigitalOcean load balancer that speaks PROXY protocol to trusting entrypoints", () => {
    const values = release(graph, "traefik").inputs.values as Json;
    const service = values.service as { annotations: Record<string, string>; spec: Json };
    expect(service.annotations).toMatchObject({
      "service.beta.kubernetes.io/do-loadbalancer-name": `gomeet-${stack}-gateway`,
      "service.beta.kubernetes.io/do-loadbalancer-size-unit": String(config.gateway.loadBalancerNodes),
      "service.beta.kubernetes.io/do-loadbalancer-enable-proxy-protocol": "true",
      "service.beta.kubernetes.io/do-loadbalancer-type": "REGIONAL",
    });
    const ports = values.ports as Record<string, Json>;
    for (const entrypoint of ["web", "websecure"]) {
      expect(ports[entrypoint]!.proxyProtocol).toEqual({
        trustedIPs: [config.network.vpcCidr],
        insecure: false,
      });
    }
    expect(ports.web!.http).toEqual({
      redirections: { entryPoint: { to: "websecure", scheme: "https", permanent: true } },
    });
    expect(ports.websecure!.http).toEqual({ tls: { enabled: true } });
  });

  it("routes api (by path, WebSockets for chat), livekit and grafana over TLS with every public middleware", () => {
    const routes = ofType(graph, T.ingressRoute);
    expect(routes.map((r) => meta(r).name).sort()).toEqual(
      secrets ? ["api", "grafana", "livekit"] : ["api", "livekit"],
    );
    for (const route of routes) {
      const s = spec(route) as { entryPoints: string[]; routes: Json[]; tls: { secretName: string } };
      expect(s.entryPoints).toEqual(["websecure"]);
      // Grafana is for operators: its allow-list runs before the public middlewares.
      const expected =
        meta(route).name === "grafana"
          ? [SOURCE_ALLOW_LIST_MIDDLEWARE, ...PUBLIC_MIDDLEWARES]
          : [...PUBLIC_MIDDLEWARES];
      for (const r of s.routes) {
        expect((r.middlewares as { name: string }[]).map((m) => m.name)).toEqual(expected);
      }
      const middlewares = inNamespace(graph, T.middleware, meta(route).namespace!).map((m) => meta(m).name);
      expect(middlewares.sort()).toEqual([...expected].sort());
      const cert = inNamespace(graph, T.certificate, meta(route).namespace!)[0]!;
      expect(spec(cert).secretName).toBe(s.tls.secretName);
      expect(route.dependencies.some((d) => d.endsWith(`gateway-cert-${meta(route).name}`))).toBe(true);
    }
    const api = spec(routes.find((r) => meta(r).name === "api")!) as { routes: Json[] };
    const byService = Object.fromEntries(
      api.routes.map((r) => [(r.services as { name: string }[])[0]!.name, r.match as string]),
    );
    expect(byService.auth).toContain(`Host(\`api.${config.domain}\`) && (PathPrefix(\`/v1/auth\`)`);
    expect(byService.meetings).toContain("PathPrefix(`/v1/meetings`)");
    expect(byService.chat).toBe(`Host(\`api.${config.domain}\`) && (PathPrefix(\`/v1/chat\`))`);
    const livekit = spec(routes.find((r) => meta(r).name === "livekit")!) as { routes: Json[] };
    expect(meta(routes.find((r) => meta(r).name === "livekit")!).namespace).toBe("media");
    expect(livekit.routes[0]!.services).toEqual([{ kind: "Service", name: "livekit", port: 7880 }]);
    // The chat WebSocket passes only upgrade-safe middlewares: headers, rate limit, buffering (Hijacker).
    const mw = inNamespace(graph, T.middleware, "services");
    const kinds = mw.flatMap((m) => Object.keys(spec(m)));
    expect(kinds.sort()).toEqual(["buffering", "headers", "rateLimit"]);
    const rate = spec(mw.find((m) => meta(m).name === "rate-limit")!).rateLimit as Json;
    expect(rate).toEqual({
      average: config.gateway.rateLimitPerMinute,
      period: "1m",
      burst: config.gateway.rateLimitPerMinute,
    });
    const body = spec(mw.find((m) => meta(m).name === "body-limit")!).buffering as Json;
    expect(body.maxRequestBodyBytes).toBe(config.gateway.maxBodyBytes);
    expect(PUBLIC_ROUTES.every((r) => r.websockets)).toBe(true);
  });

  it(`issues certificates from Let's Encrypt ${environment === "ephemeral" ? "staging" : "production"} over DigitalOcean DNS-01`, () => {
    const issuer = ofType(graph, T.clusterIssuer)[0]!;
    const acme = spec(issuer).acme as { server: string; solvers: Json[] };
    expect(acme.server).toContain(
      environment === "ephemeral" ? "acme-staging-v02" : "acme-v02.api.letsencrypt.org",
    );
    expect(acme.solvers[0]).toEqual({
      selector: { dnsZones: [config.domain] },
      dns01: { digitalocean: { tokenSecretRef: { name: "digitalocean-dns", key: "access-token" } } },
    });
    const tokenSecret = inNamespace(graph, T.secret, "cert-manager").find(
      (s) => meta(s).name === "digitalocean-dns",
    );
    if (secrets) {
      expect(tokenSecret!.secretInputs).toEqual(["stringData.access-token"]);
      expect(issuer.dependencies).toContain(tokenSecret!.urn);
      expect(secretValues).toContainEqual({ "access-token": DNS_TOKEN });
    } else {
      expect(tokenSecret).toBeUndefined();
    }
  });

  it("points api, livekit and grafana at the load balancer's address read back from the Traefik Service", () => {
    const address = fakePublicIpv4("kubernetes:core/v1:Service::gateway-lb-service#load-balancer");
    expect(address).toMatch(/^(203\.0\.113|198\.51\.100)\.\d+$/);
    for (const name of secrets ? ["api", "livekit", "grafana"] : ["api", "livekit"]) {
      const record = named(graph, T.dnsRecord, `gateway-dns-${name}`);
      expect(record.inputs).toMatchObject({ name, type: "A", value: address, ttl: 300 });
      expect(record.parent).toBe(named(graph, "gomeet:gateway:Gateway", "gateway").urn);
    }
  });

  it("runs kube-prometheus-stack with retention and storage from config and a random Grafana password as a secret", () => {
    const values = release(graph, "kube-prometheus-stack").inputs.values as Json;
    const prometheus = (values.prometheus as Json).prometheusSpec as Json;
    expect(prometheus.retention).toBe(config.monitoring.retention);
    expect(JSON.stringify(prometheus.storageSpec)).toContain(`"storage":"${config.monitoring.storageGi}Gi"`);
    expect((values.grafana as Json).admin).toEqual({
      existingSecret: "grafana-admin",
      userKey: "admin-user",
      passwordKey: "admin-password",
    });
    expect(JSON.stringify(values)).not.toContain("adminPassword");
    expect(named(graph, T.password, "monitoring-grafana-admin").inputs).toMatchObject({ length: 32 });
    const grafanaSecret = inNamespace(graph, T.secret, "monitoring").find(
      (s) => meta(s).name === "grafana-admin",
    )!;
    expect(onlyUnder(grafanaSecret.secretInputs, "stringData.")).toBe(true);
    expect(graph.secretOutputs).toEqual(expect.arrayContaining(["kubeconfig"]));
    expect(graph.outputs.grafanaUrl).toBe(`https://grafana.${config.domain}`);
  });

  it("ships every dashboard as valid JSON in a ConfigMap labelled for Grafana's sidecar", () => {
    const maps = inNamespace(graph, T.configMap, "monitoring").filter((m) =>
      meta(m).name.startsWith("dashboard-"),
    );
    const expected = Object.keys(
      renderDashboardFiles({
        livekitJob: "media/livekit",
        turnNodeJob: "turn-nodes",
        mediaNode: { vcpus: 1, nicGbps: 1 },
      }),
    );
    expect(maps.flatMap((m) => Object.keys(m.inputs.data as Json)).sort()).toEqual(expected.sort());
    for (const map of maps) {
      expect(meta(map).labels).toEqual({ grafana_dashboard: "1" });
      for (const text of Object.values(map.inputs.data as Record<string, string>)) {
        const dashboard = JSON.parse(text) as { uid: string; panels: unknown[] };
        expect(dashboard.panels.length).toBeGreaterThan(0);
      }
    }
  });

  it("ships the platform's rules, and monitors for every service and exporter", () => {
    const rule = ofType(graph, T.prometheusRule)[0]!;
    const groups = spec(rule).groups as { name: string; rules: { labels: Json }[] }[];
    expect(groups.map((g) => g.name)).toEqual(["gomeet-slo", "gomeet-platform", "gomeet-security"]);
    expect(groups[0]!.rules[0]!.labels.environment).toBe(environment);
    const monitors = ofType(graph, T.serviceMonitor);
    for (const service of ["auth", "meetings", "chat"]) {
      const m = monitors.find((x) => meta(x).name === service)!;
      expect(meta(m).namespace).toBe("services");
      expect(spec(m).endpoints).toEqual([expect.objectContaining({ port: "http", path: "/metrics" })]);
    }
    for (const exporter of ["postgres-exporter", "redis-exporter"]) {
      const deployment = inNamespace(graph, T.deployment, "monitoring").find(
        (d) => meta(d).name === exporter,
      )!;
      const container = JSON.stringify(spec(deployment));
      expect(container).not.toMatch(/:latest"/);
      expect(container).toMatch(/exporter:v\d+\.\d+\.\d+"/);
      const connection = inNamespace(graph, T.secret, "monitoring").find(
        (s) => meta(s).name === `${exporter}-connection`,
      )!;
      expect(connection.secretInputs.length).toBe(1);
      expect(monitors.some((x) => meta(x).name === exporter)).toBe(true);
    }
  });

  it(`${secrets ? "routes alerts from a Secret holding the rendered config" : "runs without Alertmanager when there is no receiver"}; no secret reaches a ConfigMap`, async () => {
    const values = release(graph, "kube-prometheus-stack").inputs.values as { alertmanager: Json };
    const amSecret = inNamespace(graph, T.secret, "monitoring").find(
      (s) => meta(s).name === "alertmanager-gomeet",
    );
    const expected = alertmanagerInputFromChannels({
      emails: config.monitoring.alertEmails,
      slackChannel: config.monitoring.slackChannel,
      smtp: config.monitoring.smtp,
      slackWebhookUrl: secrets ? SLACK_WEBHOOK : undefined,
    });
    if (!secrets && config.monitoring.alertEmails.length === 0) {
      expect(expected).toBeUndefined();
      expect(values.alertmanager).toEqual({ enabled: false });
      expect(amSecret).toBeUndefined();
    } else {
      expect((values.alertmanager.alertmanagerSpec as Json).configSecret).toBe("alertmanager-gomeet");
      expect(amSecret!.secretInputs).toEqual(["stringData.alertmanager.yaml"]);
      const rendered = renderAlertmanagerConfig(expected!);
      expect(secretValues).toContainEqual({ "alertmanager.yaml": rendered });
      expect(rendered).toContain(SLACK_WEBHOOK);
      const config = parse(rendered) as { route: { routes: { receiver: string }[] } };
      expect(config.route.routes.map((r) => r.receiver)).toEqual(["oncall", "ops", "ops"]);
      const amtool = findExecutable("amtool", ["/usr/bin", "/usr/local/bin"]);
      if (!amtool) throw new Error("amtool not found: run scripts/install-test-deps.sh");
      const file = join(mkdtempSync(join(tmpdir(), "gomeet-am-")), "alertmanager.yml");
      writeFileSync(file, rendered);
      const { stdout } = await execFileAsync(amtool, ["check-config", file]);
      expect(stdout).toContain("SUCCESS");
    }
    const plan = JSON.stringify(graph);
    const secretTexts = [
      SLACK_WEBHOOK,
      DNS_TOKEN,
      ...secretValues
        .flatMap((v) => (typeof v === "object" && v !== null ? Object.values(v) : [v]))
        .filter((v): v is string => typeof v === "string" && v.length >= 16),
    ];
    for (const map of ofType(graph, T.configMap)) {
      const data = JSON.stringify(map.inputs.data ?? {});
      for (const s of secretTexts) expect(data.includes(s), `${map.name} holds a secret`).toBe(false);
      expect(map.secretInputs).toEqual([]);
    }
    expect(plan).not.toContain(SLACK_WEBHOOK);
    expect(plan).not.toContain(DNS_TOKEN);
  });

  it(`${config_uptime(environment) ? "checks" : "does not check"} the public endpoints from DigitalOcean uptime`, () => {
    const checks = ofType(graph, T.uptimeCheck);
    if (!config.monitoring.uptimeChecks) {
      expect(checks).toHaveLength(0);
      return;
    }
    expect(checks.map((c) => c.inputs.target).sort()).toEqual(
      [
        `https://api.${config.domain}/.well-known/jwks.json`,
        `https://meet.${config.domain}/index.html`,
        `https://livekit.${config.domain}/`,
      ].sort(),
    );
    for (const check of checks) {
      expect(check.inputs.type).toBe("https");
      expect(check.inputs.regions).toEqual(["se_asia", "us_east", "eu_west"]);
    }
    const alerts = ofType(graph, T.uptimeAlert);
    const perCheck = secrets
      ? ["down_global", "down_global", "latency", "ssl_expiry", "ssl_expiry"]
      : ["down_global", "latency", "ssl_expiry"];
    expect(alerts.map((a) => a.inputs.type).sort()).toEqual(checks.flatMap(() => perCheck).sort());
    expect(alerts.length / checks.length).toBeLessThanOrEqual(5);
    for (const alert of alerts) {
      if (alert.name.endsWith("-slack")) {
        // The webhook makes its notification list secret; the engine saw its real value.
        expect(onlyUnder(alert.secretInputs, "notifications")).toBe(true);
        expect(secretValues).toContainEqual([
          { slacks: [{ channel: config.monitoring.slackChannel, url: SLACK_WEBHOOK }] },
        ]);
      } else {
        expect(alert.secretInputs).toEqual([]);
        expect(alert.inputs.notifications).toEqual([{ emails: config.monitoring.alertEmails }]);
      }
      if (alert.inputs.comparison !== undefined)
        expect(["greater_than", "less_than"]).toContain(alert.inputs.comparison);
    }
  });
});

function config_uptime(environment: string): boolean {
  return loadPlatformConfig({ environment }).monitoring.uptimeChecks;
}
