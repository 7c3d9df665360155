import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  AudioFrame,
  AudioSource,
  dispose,
  LocalAudioTrack,
  Room,
  TrackPublishOptions,
  TrackSource,
} from "@livekit/rtc-node";
import { AccessToken } from "livekit-server-sdk";
import { freePort, spawnServer, stopProcess, waitFor } from "../support/processes.ts";
import { exposedMetricNames, livekitServerBinary } from "./metric-sources.ts";

const API_KEY = "observability-test";
// livekit-server logs an error for secrets under 32 characters
// (docs/sources.md#livekit-server-configuration).
const API_SECRET = "observability-test-secret-0123456789abcdef";

const SAMPLE_RATE = 48_000;
const FRAME_SAMPLES = 480;

/**
 * Starts livekit-server with its Prometheus listener, joins a publisher and a subscriber, and streams audio
 * until every name in `wanted` that LiveKit can expose has appeared on `/metrics` (many of its series exist
 * only once a room carries media) or the deadline passes. Returns every name the server exposed.
 */
export async function scrapeLiveKitUnderLoad(
  wanted: readonly string[],
  deadlineMs = 45_000,
): Promise<Set<string>> {
  const binary = livekitServerBinary();
  if (!existsSync(binary))
    throw new Error(`livekit-server not found at ${binary}: run scripts/install-test-deps.sh`);
  const dir = mkdtempSync(join(tmpdir(), "gomeet-lk-metrics-"));
  const [port, metricsPort, tcpPort, udpPort] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  writeFileSync(
    join(dir, "livekit.yaml"),
    [
      `port: ${port}`,
      "bind_addresses: [127.0.0.1]",
      `prometheus: { port: ${metricsPort} }`,
      `rtc: { tcp_port: ${tcpPort}, udp_port: ${udpPort}, use_external_ip: false, node_ip: 127.0.0.1 }`,
      `keys: { ${API_KEY}: ${API_SECRET} }`,
      "logging: { level: warn }",
    ].join("\n"),
  );
  const server = spawnServer(binary, ["--config", join(dir, "livekit.yaml")]);
  const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
  const rooms: Room[] = [];
  let names = new Set<string>();
  try {
    await waitFor("livekit-server metrics", async () => {
      if (server.child.exitCode !== null) throw new Error(`livekit-server exited:\n${server.output()}`);
      return (await fetch(metricsUrl)).ok;
    });
    const token = async (identity: string) => {
      const grant = new AccessToken(API_KEY, API_SECRET, { identity });
      grant.addGrant({ roomJoin: true, room: "metrics-probe", canPublish: true, canSubscribe: true });
      return await grant.toJwt();
    };
    for (const identity of ["publisher", "subscriber"]) {
      const room = new Room();
      await room.connect(`ws://127.0.0.1:${port}`, await token(identity), {
        autoSubscribe: true,
        dynacast: false,
      });
      rooms.push(room);
    }
    const source = new AudioSource(SAMPLE_RATE, 1);
    const options = new TrackPublishOptions();
    options.source = TrackSource.SOURCE_MICROPHONE;
    await rooms[0]?.localParticipant?.publishTrack(LocalAudioTrack.createAudioTrack("tone", source), options);

    const deadline = Date.now() + deadlineMs;
    let frame = 0;
    while (Date.now() < deadline) {
      // One second of a 440 Hz tone per round, paced in real time by captureFrame.
      for (let i = 0; i < SAMPLE_RATE / FRAME_SAMPLES; i++, frame++) {
        const audio = AudioFrame.create(SAMPLE_RATE, 1, FRAME_SAMPLES);
        for (let s = 0; s < FRAME_SAMPLES; s++) {
          audio.data[s] = Math.round(
            8000 * Math.sin((2 * Math.PI * 440 * (frame * FRAME_SAMPLES + s)) / SAMPLE_RATE),
          );
        }
        await source.captureFrame(audio);
      }
      names = exposedMetricNames(await (await fetch(metricsUrl)).text());
      if (wanted.every((name) => names.has(name))) break;
    }
    return names;
  } finally {
    for (const room of rooms) await room.disconnect();
    // Once used, @livekit/rtc-node's native binding keeps the process alive until dispose() releases it.
    await dispose();
    await stopProcess(server.child);
    rmSync(dir, { recursive: true, force: true });
  }
}
