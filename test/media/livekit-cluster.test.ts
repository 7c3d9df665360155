import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { dispose } from "@livekit/rtc-node";
import { RoomServiceClient, type WebhookEvent, WebhookReceiver } from "livekit-server-sdk";
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
import { liveKitInput, turnServerInput } from "./support/stack-inputs.ts";
import { startTlsRedis, type TlsRedis } from "./support/tls-redis.ts";

/**
 * Two livekit-server v1.13.5 nodes started from the rendered staging livekit.yaml, sharing one TLS redis,
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

  it("carries the same audio through coturn when ICE is forced to relay, with credentials LiveKit minted", async () => {
    await new RoomServiceClient(nodeB.url, base.apiKey, base.apiSecret).createRoom({ name: "meeting-relay" });
    const result = await runAudioPath({
      publisherUrl: nodeB.wsUrl,
      subscriberUrl: nodeA.wsUrl,
      apiKey: base.apiKey,
      apiSecret: base.apiSecret,
      room: "meeting-relay",
      relayOnly: true,
      wantFrames: 50,
      timeoutMs: 45_000,
    });
    expect(result.audibleFrames).toBeGreaterThanOrEqual(50);
    // coturn (verbose) logs each authenticated allocation with the REST username LiveKit minted:
    // "<expiry>:<participant sid>" (../shared/reference/livekit.md §7).
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
