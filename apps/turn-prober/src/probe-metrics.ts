import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { ProbeResult } from "./allocation-probe.ts";

/** The prober's series, named and labelled exactly as docs/metrics.md ("TURN prober") lists them. */
export interface ProbeMetrics {
  registry: Registry;
  record(server: string, result: ProbeResult): void;
}

export function createProbeMetrics(): ProbeMetrics {
  const registry = new Registry();
  const success = new Gauge({
    name: "gomeet_turn_probe_success",
    help: "1 when the last TURN allocation against the server succeeded, else 0",
    labelNames: ["server"] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: "gomeet_turn_probe_duration_seconds",
    help: "Time of a full TURN Allocate + Refresh(0) round",
    labelNames: ["server"] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const total = new Counter({
    name: "gomeet_turn_probe_total",
    help: "TURN probes run, by outcome",
    labelNames: ["server", "outcome"] as const,
    registers: [registry],
  });
  return {
    registry,
    record(server, result) {
      success.set({ server }, result.outcome === "ok" ? 1 : 0);
      duration.observe({ server }, result.durationSeconds);
      total.inc({ server, outcome: result.outcome });
    },
  };
}
