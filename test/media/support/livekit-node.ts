import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { type LiveKitConfigInput, renderLiveKitConfig } from "../../../components/media/livekit-config.ts";
import { freePort, spawnServer, stopProcess, waitFor } from "../../support/processes.ts";
import type { TlsRedis } from "./tls-redis.ts";

export const LIVEKIT_SERVER_BIN =
  process.env.LIVEKIT_SERVER_BIN ?? resolve(import.meta.dirname, "../../../.tools/bin/livekit-server");

export interface LoopbackSubstitutions {
  redis: TlsRedis;
  /** Distinct per node: two nodes on one host cannot share ICE ports. */
  udpPortRange: { start: number; end: number };
  advertisedAddress?: LiveKitConfigInput["rtc"]["advertisedAddress"];
  /** Both ends of the test's WebRTC sessions live on 127.0.0.1. */
  loopbackCandidates?: boolean;
  /** coturn servers on 127.0.0.1 sharing one secret; several stand for a fleet of TURN droplets. */
  turn?: { port: number; sharedSecret: string; morePorts?: number[] };
  webhookUrl?: string;
}

/**
 * The shipped input with only addresses, ports and secrets replaced for a single-host rig. Everything else —
 * Redis TLS, node selector, limits, room settings, TURN wiring — stays as the stack renders it.
 */
export async function loopbackLiveKitInput(
  base: LiveKitConfigInput,
  sub: LoopbackSubstitutions,
): Promise<LiveKitConfigInput> {
  return {
    ...base,
    httpPort: await freePort(),
    bindAddresses: ["127.0.0.1"],
    redis: {
      ...base.redis,
      address: sub.redis.address,
      password: sub.redis.password,
      tls: { ...base.redis.tls, caCertFile: sub.redis.caCertFile },
    },
    rtc: {
      ...base.rtc,
      tcpPort: await freePort(),
      udpPortRange: sub.udpPortRange,
      advertisedAddress: sub.advertisedAddress ?? { kind: "fixed", nodeIp: "127.0.0.1" },
      loopbackCandidates: sub.loopbackCandidates ?? base.rtc.loopbackCandidates,
    },
    turn:
      sub.turn === undefined
        ? { ...base.turn, servers: base.turn.servers.map((s) => ({ ...s, host: "127.0.0.1" })) }
        : {
            ...base.turn,
            servers: [sub.turn.port, ...(sub.turn.morePorts ?? [])].map((port) => ({
              host: "127.0.0.1",
              port,
              protocol: "udp" as const,
            })),
            sharedSecret: sub.turn.sharedSecret,
          },
    webhook: { urls: [sub.webhookUrl ?? "http://127.0.0.1:9/livekit/webhook"] },
    prometheusPort: await freePort(),
  };
}

export interface RunningLiveKitNode {
  input: LiveKitConfigInput;
  configText: string;
  url: string;
  wsUrl: string;
  metricsUrl: string;
  output(): string;
  /** Sends a signal without waiting (SIGKILL: a crashed node; SIGTERM: LiveKit starts draining). */
  signal(signal: NodeJS.Signals): void;
  exited(): Promise<void>;
  stop(): Promise<void>;
}

/** A random, probably free 100-port ICE range per node, above the TURN relay ranges the tests use. */
export function iceRange(slot: number): { start: number; end: number } {
  const base = 50_000 + Math.floor(Math.random() * 40) * 250 + slot * 100;
  return { start: base, end: base + 99 };
}

export async function startLiveKitNode(input: LiveKitConfigInput): Promise<RunningLiveKitNode> {
  const dir = mkdtempSync(join(tmpdir(), "gomeet-livekit-"));
  const configText = renderLiveKitConfig(input);
  const configFile = join(dir, "livekit.yaml");
  writeFileSync(configFile, configText, { mode: 0o600 });
  // Strict config on purpose, as in production: no --dev, no --disable-strict-config, so an unknown key fails
  // here as it would fail a deploy (docs/sources.md#livekit-server-configuration).
  const server = spawnServer(LIVEKIT_SERVER_BIN, ["--config", configFile]);
  const url = `http://127.0.0.1:${input.httpPort}`;
  const stop = async () => {
    // livekit-server drains on the first SIGTERM and waits for participants; tests stop it after they left.
    await stopProcess(server.child, 10_000);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(
      "livekit-server to report healthy",
      async () => {
        // A config error makes livekit-server print it and exit 0, so liveness of the process is checked too.
        if (server.child.exitCode !== null) {
          throw new Error(`livekit-server exited ${server.child.exitCode}:\n${server.output()}`);
        }
        const response = await fetch(url);
        return response.status === 200;
      },
      30_000,
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    input,
    configText,
    url,
    wsUrl: `ws://127.0.0.1:${input.httpPort}`,
    metricsUrl: `http://127.0.0.1:${input.prometheusPort}/metrics`,
    output: server.output,
    signal: (signal) => {
      server.child.kill(signal);
    },
    exited: () =>
      server.child.exitCode !== null || server.child.signalCode !== null
        ? Promise.resolve()
        : new Promise((resolve) => server.child.once("exit", () => resolve())),
    stop,
  };
}
