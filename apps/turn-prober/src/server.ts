import { createServer } from "node:http";
import { probeTurnServer } from "./allocation-probe.ts";
import { createProbeMetrics } from "./probe-metrics.ts";
import { loadProberConfig, targetLabel } from "./prober-config.ts";
import { mintTurnRestCredential } from "./rest-credential.ts";

/**
 * TURN prober: every interval, a real allocation against every configured coturn with a freshly minted REST
 * credential; results exported at /metrics. Runs in the cluster because coturn (Debian build) has no
 * exporter of its own (its `--prometheus` option needs libprom, which Debian's 4.6.1 build
 * lacks: `turnserver --prometheus` exits with "unrecognized option").
 */
const config = loadProberConfig(process.env);
const metrics = createProbeMetrics();

function log(level: "info" | "warn" | "error", msg: string, fields: Record<string, unknown> = {}): void {
  process.stdout.write(`${JSON.stringify({ level, time: new Date().toISOString(), msg, ...fields })}\n`);
}

async function probeAll(): Promise<void> {
  await Promise.all(
    config.targets.map(async (target) => {
      // Short TTL: the credential only needs to outlive one probe.
      const credential = mintTurnRestCredential(config.sharedSecret, "prober", 120);
      const result = await probeTurnServer(target, credential, config.timeoutMs);
      const server = targetLabel(target);
      metrics.record(server, result);
      if (result.outcome !== "ok") {
        log("warn", "turn probe failed", { server, outcome: result.outcome, detail: result.detail });
      }
    }),
  );
}

const http = createServer((req, res) => {
  if (req.method === "GET" && req.url === "/metrics") {
    metrics.registry
      .metrics()
      .then((body) => {
        res.writeHead(200, { "content-type": metrics.registry.contentType });
        res.end(body);
      })
      .catch((error: unknown) => {
        res.writeHead(500).end(String(error));
      });
    return;
  }
  if (req.method === "GET" && req.url === "/healthz") {
    res.writeHead(200, { "content-type": "text/plain" }).end("ok\n");
    return;
  }
  res.writeHead(404).end();
});

let running: Promise<void> = Promise.resolve();
const tick = () => {
  running = probeAll().catch((error: unknown) =>
    log("error", "probe round crashed", { error: String(error) }),
  );
};
const interval = setInterval(tick, config.intervalSeconds * 1000);

http.listen(config.metricsPort, config.metricsHost, () => {
  log("info", "turn prober listening", {
    port: config.metricsPort,
    targets: config.targets.map(targetLabel),
    intervalSeconds: config.intervalSeconds,
  });
  tick();
});

const shutdown = () => {
  clearInterval(interval);
  http.close();
  void running.then(() => process.exit(0));
};
process.once("SIGTERM", shutdown);
process.once("SIGINT", shutdown);
