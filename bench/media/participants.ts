/**
 * One process of SFU-bench participants (started by bench/media/run.ts, one JSON argument):
 *   {"role":"publishers","url":…,"tokens":[video, audio]} — a 720p simulcast camera and a microphone, as two
 *     participants, until SIGTERM;
 *   {"role":"subscribers","url":…,"tokens":[…],"quality":"high"} — one participant per token, subscribed to
 *     everything; video frames are not handed to JavaScript (no VideoStream), as a load client only receives.
 * Prints one JSON line when every participant is ready ({"ready":n}) and, on SIGUSR2, the CPU seconds the
 * process has used so far ({"cpuSeconds":x}); leaves and exits on SIGTERM.
 */
import {
  ContinualGatheringPolicy,
  dispose,
  IceTransportType,
  type RemoteTrack,
  type RemoteTrackPublication,
  Room,
  RoomEvent,
  TrackKind,
} from "@livekit/rtc-node";
import { publishCameraAndMicrophone, requestVideoQuality } from "../../test/media/support/rtc-video.ts";

interface WorkerSpec {
  role: "publishers" | "subscribers";
  url: string;
  tokens: string[];
  quality?: "low" | "medium" | "high";
}

const spec = JSON.parse(process.argv[2] ?? "{}") as WorkerSpec;
const rtcConfig = {
  iceTransportType: IceTransportType.TRANSPORT_ALL,
  continualGatheringPolicy: ContinualGatheringPolicy.GATHER_CONTINUALLY,
  iceServers: [],
};
const rooms: Room[] = [];
/** Subscribers of one process that may be connecting at the same time. */
const CONNECT_CONCURRENCY = 5;
const stops: (() => Promise<void>)[] = [];

function say(message: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

async function connect(token: string, autoSubscribe: boolean): Promise<Room> {
  const room = new Room();
  rooms.push(room);
  await room.connect(spec.url, token, { autoSubscribe, dynacast: true, rtcConfig });
  return room;
}

if (spec.role === "publishers") {
  const [videoToken, audioToken] = spec.tokens;
  if (!videoToken || !audioToken) throw new Error("publishers: expected two tokens");
  const video = await publishCameraAndMicrophone(await connect(videoToken, false), {
    camera: true,
    microphone: false,
  });
  const audio = await publishCameraAndMicrophone(await connect(audioToken, false), { camera: false });
  stops.push(video.stop, audio.stop);
  say({ ready: 2 });
} else {
  let subscribed = 0;
  // A few connections at a time, each retried once: a hundred ICE/DTLS handshakes at once on a small
  // machine time out ("transport timed out") although each alone takes well under a second.
  const pending = [...spec.tokens];
  const connectOne = async (token: string): Promise<void> => {
    for (let attempt = 1; ; attempt++) {
      const room = new Room();
      let ownSubscriptions = 0;
      room.on(RoomEvent.TrackSubscribed, (track: RemoteTrack, publication: RemoteTrackPublication) => {
        if (track.kind === TrackKind.KIND_VIDEO && spec.quality && spec.quality !== "high")
          requestVideoQuality(publication, spec.quality);
        ownSubscriptions++;
        subscribed++;
      });
      try {
        await room.connect(spec.url, token, { autoSubscribe: true, dynacast: true, rtcConfig });
        rooms.push(room);
        return;
      } catch (error) {
        await room.disconnect().catch(() => undefined);
        subscribed -= ownSubscriptions; // a failed attempt's subscriptions do not count towards "ready"
        if (attempt >= 2) throw error;
        process.stderr.write(`connect attempt ${attempt} failed (${String(error)}); retrying\n`);
      }
    }
  };
  await Promise.all(
    Array.from({ length: Math.min(CONNECT_CONCURRENCY, pending.length) }, async () => {
      for (let token = pending.shift(); token !== undefined; token = pending.shift()) await connectOne(token);
    }),
  );
  const deadline = Date.now() + 60_000;
  while (subscribed < spec.tokens.length * 2 && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 100));
  say({ ready: spec.tokens.length, subscribed });
}

process.on("SIGUSR2", () => {
  const used = process.cpuUsage();
  say({ cpuSeconds: (used.user + used.system) / 1e6 });
});
process.once("SIGTERM", () => {
  void (async () => {
    for (const stop of stops) await stop();
    for (const room of rooms) await room.disconnect();
    await dispose();
    process.exit(0);
  })();
});
