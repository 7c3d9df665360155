import type { ProbeTarget } from "./allocation-probe.ts";

/** The prober's environment, validated once at start; the secret is never echoed in errors. */
export interface ProberConfig {
  targets: ProbeTarget[];
  sharedSecret: string;
  intervalSeconds: number;
  timeoutMs: number;
  metricsPort: number;
  metricsHost: string;
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name}: expected an integer in ${min}–${max}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

/** TURN_PROBE_TARGETS is a comma-separated list of host:port (IPv6 as [addr]:port). */
export function parseTargets(raw: string | undefined): ProbeTarget[] {
  if (raw === undefined || raw.trim() === "") {
    throw new Error('TURN_PROBE_TARGETS: expected a comma-separated list of host:port, got ""');
  }
  return raw.split(",").map((entry) => {
    const match = /^\s*(?:\[([0-9a-fA-F:.]+)\]|([^:\s[\]]+)):(\d+)\s*$/.exec(entry);
    const host = match?.[1] ?? match?.[2];
    const port = Number(match?.[3]);
    if (host === undefined || !Number.isInteger(port) || port < 1 || port > 65_535) {
      throw new Error(`TURN_PROBE_TARGETS: expected host:port, got ${JSON.stringify(entry)}`);
    }
    return { host, port };
  });
}

export function loadProberConfig(env: NodeJS.ProcessEnv): ProberConfig {
  const sharedSecret = env.TURN_STATIC_AUTH_SECRET ?? "";
  if (sharedSecret.length < 16) {
    throw new Error(
      `TURN_STATIC_AUTH_SECRET: expected a secret of at least 16 characters, got ${sharedSecret.length}`,
    );
  }
  return {
    targets: parseTargets(env.TURN_PROBE_TARGETS),
    sharedSecret,
    intervalSeconds: integer(env, "TURN_PROBE_INTERVAL_SECONDS", 60, 1, 3600),
    timeoutMs: integer(env, "TURN_PROBE_TIMEOUT_MS", 5_000, 100, 60_000),
    metricsPort: integer(env, "METRICS_PORT", 9102, 1, 65_535),
    metricsHost: env.METRICS_HOST ?? "0.0.0.0",
  };
}

export function targetLabel(target: ProbeTarget): string {
  return target.host.includes(":") ? `[${target.host}]:${target.port}` : `${target.host}:${target.port}`;
}
