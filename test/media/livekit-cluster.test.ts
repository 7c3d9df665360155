import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { dispose } from "@livekit/rtc-node";
import {
  RoomServiceClient,
  TrackSource as TrackSourceProto,
  type WebhookEvent,
  WebhookReceiver,
} from "livekit-server-sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, waitFor } from "../support/processes.ts";
import { type RunningCoturn, startCoturn } from "./support/coturn.ts";
import {
  iceRange,
  loopbackLiveKitInput,
  type RunningLiveKitNode,
  startLiveKitNode,
} from "./support/livekit-node.ts";
import { runAudioPath } from "./support/rtc-participants.ts";
import { CAMERA, SIMULCAST_LAYERS } from "./support/rtc-video.ts";
import { liveKitInput, turnServerInput } from "./support/stack-inputs.ts";
import { startTlsRedis, type TlsRedis } from "./support/tls-redis.ts";
import { runVideoPath } from "./support/video-path.ts";

/**
 * Two livekit-server nodes (the version scripts/install-test-deps.sh installs) started from the rendered staging livekit.yaml, sharing one TLS redis,
 * with turn_servers pointing at a coturn started from the rendered turnserver.conf.
 */
const base = liveKitInput("staging");
let redis: TlsRedis;
let coturn: RunningCoturn;
let nodeA: RunningLiveKitNode;
let nodeB: RunningLiveKitNode;
let webhookSink: Server;
const webhookEvents: WebhookEvent[] = [];

/** Stands in for the meetings service's webhook endpoint; verifies LiveKit's signature like it must. */
async function startWebhookSink(): Promise<string> {
  const receiver = new WebhookReceiver(base.apiKey, base.apiSecret);
  const port = await freePort();
  webhookSink = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on("end", () => {
      receiver
        .receive(body, req.headers.authorization)
        .then((event) => {
          webhookEvents.push(event);
          res.writeHead(200).end();
        })
        .catch(() => res.writeHead(401).end());
    });
  });
  await new Promise<void>((resolve) => webhookSink.listen(port, "127.0.0.1", resolve));
  return `http://127.0.0.1:${port}/livekit/webhook`;
}

async function roomsHosted(node: RunningLiveKitNode): Promise<{ nodeId: string; rooms: number }> {
  const text = await (await fetch(node.metricsUrl)).text();
  const match = /^livekit_room_total\{node_id="([^"]+)"[^}]*\} (\d+)$/m.exec(text);
  if (!match?.[1] || !match[2]) throw new Error(`livekit_room_total missing from ${node.metricsUrl}`);
  return { nodeId: match[1], rooms: Number(match[2]) };
}

beforeAll(async () => {
  redis = await startTlsRedis();
  coturn = await startCoturn(turnServerInput("staging"), { allowLoopbackPeers: true, withTls: false });
  const substitutions = {
    redis,
    webhookUrl: await startWebhookSink(),
    loopbackCandidates: true,
    turn: { port: coturn.port, sharedSecret: coturn.secret },
  };
  nodeA = await startLiveKitNode(
    await loopbackLiveKitInput(base, { ...substitutions, udpPortRange: iceRange(0) }),
  );
  nodeB = await startLiveKitNode(
    await loopbackLiveKitInput(base, { ...substitutions, udpPortRange: iceRange(1) }),
  );
});

afterAll(async () => {
  await dispose();
  await nodeA?.stop();
  await nodeB?.stop();
  await coturn?.stop();
  await redis?.stop();
  webhookSink?.close();
});

describe("two LiveKit nodes sharing one Valkey-compatible redis over TLS", () => {
  it("creates a room through one node, lists it through the other, and hosts it on exactly one node", async () => {
    const viaA = new RoomServiceClient(nodeA.url, base.apiKey, base.apiSecret);
    const viaB = new RoomServiceClient(nodeB.url, base.apiKey, base.apiSecret);
    const created = await viaA.createRoom({ name: "meeting-placement" });
    expect(created.maxParticipants).toBe(500);

    const listed = await viaB.listRooms(["meeting-placement"]);
    expect(listed.map((r) => [r.name, r.sid])).toEqual([["meeting-placement", created.sid]]);

    const hosting = await Promise.all([roomsHosted(nodeA), roomsHosted(nodeB)]);
    expect(hosting[0].nodeId).not.toBe(hosting[1].nodeId);
    expect(hosting.map((h) => h.rooms).sort()).toEqual([0, 1]);

    // The hosting node announces the room to the meetings webhook, signed with the rendered API key.
    await waitFor("a signed room_started webhook", async () =>
      webhookEvents.some((e) => e.event === "room_started" && e.room?.sid === created.sid),
    );
    await viaB.deleteRoom("meeting-placement");
  });

  it("refuses API calls signed with a wrong secret (keys come from the rendered file)", async () => {
    const wrong = new RoomServiceClient(nodeA.url, base.apiKey, "x".repeat(40));
    await expect(wrong.listRooms()).rejects.toThrow();
  });

  it("carries a published audio track from a participant on one node to a participant on the other", async () => {
    await new RoomServiceClient(nodeA.url, base.apiKey, base.apiSecret).createRoom({
      name: "meeting-direct",
    });
    const result = await runAudioPath({
      publisherUrl: nodeA.wsUrl,
      subscriberUrl: nodeB.wsUrl,
      apiKey: base.apiKey,
      apiSecret: base.apiSecret,
      room: "meeting-direct",
      relayOnly: false,
      wantFrames: 50,
      timeoutMs: 30_000,
    });
    expect(result.audibleFrames).toBeGreaterThanOrEqual(50);
  });

  it("forwards 720p simulcast video and audio across nodes; a subscriber asking for the low layer gets 320×180", async () => {
    await new RoomServiceClient(nodeA.url, base.apiKey, base.apiSecret).createRoom({ name: "meeting-video" });
    const high = `${CAMERA.width}x${CAMERA.height}`;
    const low = `${SIMULCAST_LAYERS[0].width}x${SIMULCAST_LAYERS[0].height}`;
    let serverLayers: { width: number; height: number }[] = [];
    const [full, small] = await runVideoPath({
      publisherUrl: nodeA.wsUrl,
      subscribers: [
        { url: nodeB.wsUrl, identity: "viewer-full" },
        { url: nodeB.wsUrl, identity: "viewer-tile", quality: "low" },
      ],
      apiKey: base.apiKey,
      apiSecret: base.apiSecret,
      room: "meeting-video",
      relayOnly: false,
      // The full-size layer arrives once bandwidth estimation has ramped up (a few seconds on loopback).
      done: ([f, t]) =>
        (f?.videoFrames(high) ?? 0) >= 30 &&
        (f?.audibleFrames ?? 0) >= 50 &&
        (t?.sizes.slice(-30).every((size) => size === low) ?? false) &&
        (t?.videoFrames(low) ?? 0) >= 30,
      timeoutMs: 90_000,
      whileFlowing: async () => {
        const participants = await new RoomServiceClient(
          nodeB.url,
          base.apiKey,
          base.apiSecret,
        ).listParticipants("meeting-video");
        const camera = participants
          .find((p) => p.identity === "camera-publisher")
          ?.tracks.find((t) => t.source === TrackSourceProto.CAMERA);
        serverLayers = (camera?.layers ?? []).map((l) => ({ width: l.width, height: l.height }));
      },
    });
    // The SFU registered exactly the three layers the web client publishes.
    expect(serverLayers.sort((a, b) => a.width - b.width)).toEqual(
      SIMULCAST_LAYERS.map(({ width, height }) => ({ width, height })),
    );
    // Every decoded frame has one of the published layer sizes.
    const published = new Set(SIMULCAST_LAYERS.map((l) => `${l.width}x${l.height}`));
    for (const media of [full, small]) {
      for (const size of media?.framesBySize.keys() ?? []) expect(published).toContain(size);
    }
    expect(full?.videoFrames(high)).toBeGreaterThanOrEqual(30);
    expect(small?.videoFrames(low)).toBeGreaterThanOrEqual(30);
    expect(small?.sizes.slice(-30)).toEqual(Array(30).fill(low));
  });

  it("carries the same video and audio through coturn when ICE is forced to relay, with credentials LiveKit minted", async () => {
    await new RoomServiceClient(nodeB.url, base.apiKey, base.apiSecret).createRoom({ name: "meeting-relay" });
    const [viewer] = await runVideoPath({
      publisherUrl: nodeB.wsUrl,
      subscribers: [{ url: nodeA.wsUrl, identity: "relay-viewer" }],
      apiKey: base.apiKey,
      apiSecret: base.apiSecret,
      room: "meeting-relay",
      relayOnly: true,
      done: ([v]) => (v?.videoFrames() ?? 0) >= 30 && (v?.audibleFrames ?? 0) >= 50,
      timeoutMs: 60_000,
    });
    expect(viewer?.videoFrames()).toBeGreaterThanOrEqual(30);
    expect(viewer?.audibleFrames).toBeGreaterThanOrEqual(50);
    // coturn (verbose) logs each authenticated allocation with the REST username LiveKit minted:
    // "<expiry>:<participant sid>" (coturn's REST API scheme, https://github.com/coturn/coturn/blob/master/README.turnserver).
    const log = readFileSync(coturn.logFile, "utf8");
    const allocations = [
      ...log.matchAll(/user <(\d+):(PA_[A-Za-z0-9]+)>: incoming packet ALLOCATE processed, success/g),
    ];
    expect(allocations.length).toBeGreaterThanOrEqual(2);
    const now = Date.now() / 1000;
    for (const [, expiry] of allocations) expect(Number(expiry)).toBeGreaterThan(now);
    expect(log).toMatch(/CHANNEL_BIND processed, success|CREATE_PERMISSION processed, success/);
  });
});
