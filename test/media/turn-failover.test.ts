import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { dispose } from "@livekit/rtc-node";
import { RoomServiceClient } from "livekit-server-sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, spawnServer, stopProcess, waitFor } from "../support/processes.ts";
import { type RunningCoturn, startCoturn } from "./support/coturn.ts";
import {
  iceRange,
  loopbackLiveKitInput,
  type RunningLiveKitNode,
  startLiveKitNode,
} from "./support/livekit-node.ts";
import { joinToken } from "./support/rtc-participants.ts";
import { joinResponseIceServers } from "./support/signal-join.ts";
import { liveKitInput, turnServerInput } from "./support/stack-inputs.ts";
import { startTlsRedis, type TlsRedis } from "./support/tls-redis.ts";
import { runVideoPath } from "./support/video-path.ts";

/**
 * A TURN fleet of two coturn servers (rendered production turnserver.conf, one shared secret) behind one
 * livekit-server whose `turn_servers` lists both, as the stack renders every droplet by its own name
 * (components/media/turn-settings.ts), and the TURN prober probing both. One coturn dies; relay-only clients
 * still connect through the other, and the prober reports the dead one.
 */
const base = liveKitInput("production");
let redis: TlsRedis;
let turnA: RunningCoturn;
let turnB: RunningCoturn;
let node: RunningLiveKitNode;
let prober: ReturnType<typeof spawnServer>;
let proberMetricsUrl: string;

async function probeSuccess(): Promise<Record<string, number>> {
  const text = await (await fetch(proberMetricsUrl)).text();
  const values: Record<string, number> = {};
  for (const match of text.matchAll(/^gomeet_turn_probe_success\{server="([^"]+)"\} (\d+)$/gm)) {
    if (match[1] !== undefined) values[match[1]] = Number(match[2]);
  }
  return values;
}

beforeAll(async () => {
  redis = await startTlsRedis();
  const turnInput = turnServerInput("production");
  turnA = await startCoturn(turnInput, { allowLoopbackPeers: true, withTls: false });
  turnB = await startCoturn(
    { ...turnInput, sharedSecret: turnA.secret },
    { allowLoopbackPeers: true, withTls: false },
  );
  node = await startLiveKitNode(
    await loopbackLiveKitInput(base, {
      redis,
      udpPortRange: iceRange(0),
      loopbackCandidates: true,
      turn: { port: turnA.port, sharedSecret: turnA.secret, morePorts: [turnB.port] },
    }),
  );
  const metricsPort = await freePort();
  proberMetricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
  prober = spawnServer(
    resolve(import.meta.dirname, "../../node_modules/.bin/tsx"),
    ["apps/turn-prober/src/server.ts"],
    {
      cwd: resolve(import.meta.dirname, "../.."),
      env: {
        ...process.env,
        TURN_PROBE_TARGETS: `127.0.0.1:${turnA.port},127.0.0.1:${turnB.port}`,
        TURN_STATIC_AUTH_SECRET: turnA.secret,
        TURN_PROBE_INTERVAL_SECONDS: "1",
        TURN_PROBE_TIMEOUT_MS: "1500",
        METRICS_PORT: String(metricsPort),
        METRICS_HOST: "127.0.0.1",
      },
    },
  );
}, 120_000);

afterAll(async () => {
  await dispose();
  if (prober) await stopProcess(prober.child);
  await node?.stop();
  await turnA?.stop();
  await turnB?.stop();
  await redis?.stop();
});

describe("TURN failover across a fleet of two coturn servers", () => {
  it("hands every TURN server to clients in the join response, each with its own minted credential", async () => {
    await new RoomServiceClient(node.url, base.apiKey, base.apiSecret).createRoom({ name: "meeting-ice" });
    const servers = await joinResponseIceServers(
      node.wsUrl,
      await joinToken(base.apiKey, base.apiSecret, "meeting-ice", "ice-reader"),
    );
    const urls = servers.flatMap((s) => s.urls);
    expect(urls).toEqual(
      expect.arrayContaining([
        expect.stringMatching(new RegExp(`^turn:127\\.0\\.0\\.1:${turnA.port}\\b`)),
        expect.stringMatching(new RegExp(`^turn:127\\.0\\.0\\.1:${turnB.port}\\b`)),
      ]),
    );
    for (const server of servers) {
      expect(server.username).toMatch(/^\d+:/);
      expect(server.credential.length).toBeGreaterThan(10);
    }
  });

  it("the prober sees both servers allocate", async () => {
    await waitFor(
      "the prober to report both TURN servers up",
      async () => {
        const up = await probeSuccess();
        return up[`127.0.0.1:${turnA.port}`] === 1 && up[`127.0.0.1:${turnB.port}`] === 1;
      },
      30_000,
    );
  });

  it("after one coturn dies, a relay-only client still gets video and audio through the other, and the prober reports the dead one", async () => {
    await turnA.stop();
    await new RoomServiceClient(node.url, base.apiKey, base.apiSecret).createRoom({
      name: "meeting-turn-down",
    });
    const [viewer] = await runVideoPath({
      publisherUrl: node.wsUrl,
      subscribers: [{ url: node.wsUrl, identity: "relay-viewer" }],
      apiKey: base.apiKey,
      apiSecret: base.apiSecret,
      room: "meeting-turn-down",
      relayOnly: true,
      done: ([v]) => (v?.videoFrames() ?? 0) >= 30 && (v?.audibleFrames ?? 0) >= 50,
      timeoutMs: 60_000,
    });
    expect(viewer?.videoFrames()).toBeGreaterThanOrEqual(30);
    expect(viewer?.audibleFrames).toBeGreaterThanOrEqual(50);
    // The surviving server relayed: its verbose log has the allocations of LiveKit-minted credentials.
    const log = readFileSync(turnB.logFile, "utf8");
    expect(log).toMatch(/user <\d+:PA_[A-Za-z0-9]+>: incoming packet ALLOCATE processed, success/);

    await waitFor(
      "the prober to report the dead TURN server",
      async () => {
        const up = await probeSuccess();
        return up[`127.0.0.1:${turnA.port}`] === 0 && up[`127.0.0.1:${turnB.port}`] === 1;
      },
      30_000,
    );
  });
});
