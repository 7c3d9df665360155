import { ContinualGatheringPolicy, IceTransportType, Room } from "@livekit/rtc-node";
import { joinToken } from "./rtc-participants.ts";
import {
  publishCameraAndMicrophone,
  type ReceivedMedia,
  receiveMedia,
  requestVideoQuality,
} from "./rtc-video.ts";

export interface VideoSubscriber {
  url: string;
  identity: string;
  /** Ask the SFU for this simulcast layer once the camera track is subscribed. */
  quality?: "low" | "medium" | "high";
}

export function rtcConfig(relayOnly: boolean) {
  return {
    iceTransportType: relayOnly ? IceTransportType.TRANSPORT_RELAY : IceTransportType.TRANSPORT_ALL,
    continualGatheringPolicy: ContinualGatheringPolicy.GATHER_CONTINUALLY,
    // Empty: use the ICE servers (and the TURN credentials LiveKit minted) from the join response.
    iceServers: [],
  };
}

/**
 * One publisher (simulcast camera + microphone) and the given subscribers in `room`; runs until `done` holds for
 * what the subscribers decoded, or fails after `timeoutMs` with what each subscriber got so far.
 */
export async function runVideoPath(options: {
  publisherUrl: string;
  subscribers: VideoSubscriber[];
  apiKey: string;
  apiSecret: string;
  room: string;
  relayOnly: boolean;
  done: (received: ReceivedMedia[]) => boolean;
  timeoutMs: number;
  /** Called while media flows, e.g. to read the server's view of the tracks. */
  whileFlowing?: (publisher: Room) => Promise<void>;
}): Promise<ReceivedMedia[]> {
  const config = rtcConfig(options.relayOnly);
  const rooms: Room[] = [];
  const received: ReceivedMedia[] = [];
  try {
    for (const subscriber of options.subscribers) {
      const room = new Room();
      rooms.push(room);
      const media = receiveMedia(room);
      received.push(media);
      await room.connect(
        subscriber.url,
        await joinToken(options.apiKey, options.apiSecret, options.room, subscriber.identity),
        { autoSubscribe: true, dynacast: true, rtcConfig: config },
      );
    }
    const publisher = new Room();
    rooms.push(publisher);
    await publisher.connect(
      options.publisherUrl,
      await joinToken(options.apiKey, options.apiSecret, options.room, "camera-publisher"),
      { autoSubscribe: false, dynacast: true, rtcConfig: config },
    );
    const published = await publishCameraAndMicrophone(publisher);
    try {
      const deadline = Date.now() + options.timeoutMs;
      const asked = new Set<number>();
      while (!options.done(received)) {
        if (Date.now() > deadline) {
          const got = received.map((r, i) => `${options.subscribers[i]?.identity}: ${r.describe()}`);
          throw new Error(`media did not arrive within ${options.timeoutMs} ms — ${got.join("; ")}`);
        }
        options.subscribers.forEach((subscriber, i) => {
          const publication = received[i]?.videoPublication;
          if (subscriber.quality && publication && !asked.has(i)) {
            requestVideoQuality(publication, subscriber.quality);
            asked.add(i);
          }
        });
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      await options.whileFlowing?.(publisher);
      return received;
    } finally {
      await published.stop();
    }
  } finally {
    for (const room of rooms) await room.disconnect();
  }
}
