import {
  AudioFrame,
  AudioSource,
  AudioStream,
  ContinualGatheringPolicy,
  IceTransportType,
  LocalAudioTrack,
  type RemoteTrack,
  Room,
  RoomEvent,
  TrackKind,
  TrackPublishOptions,
  TrackSource,
} from "@livekit/rtc-node";
import { AccessToken } from "livekit-server-sdk";

/** Two @livekit/rtc-node participants, one publishing a 440 Hz tone, for the media-path tests. */
const SAMPLE_RATE = 48_000;
const FRAME_SAMPLES = 480; // 10 ms

export async function joinToken(
  apiKey: string,
  apiSecret: string,
  room: string,
  identity: string,
): Promise<string> {
  const token = new AccessToken(apiKey, apiSecret, { identity, ttl: "10m" });
  token.addGrant({ roomJoin: true, room, canPublish: true, canSubscribe: true });
  return await token.toJwt();
}

export interface MediaPathResult {
  /** Frames received by the subscriber whose RMS shows the tone, not silence. */
  audibleFrames: number;
}

/**
 * Publisher joins through `publisherUrl`, subscriber through `subscriberUrl`; the publisher sends the tone
 * until the subscriber has decoded `wantFrames` audible frames or the deadline passes. With `relayOnly`,
 * both peers may use only TURN relay candidates from the ICE servers LiveKit hands out.
 */
export async function runAudioPath(options: {
  publisherUrl: string;
  subscriberUrl: string;
  apiKey: string;
  apiSecret: string;
  room: string;
  relayOnly: boolean;
  wantFrames: number;
  timeoutMs: number;
}): Promise<MediaPathResult> {
  const rtcConfig = {
    iceTransportType: options.relayOnly ? IceTransportType.TRANSPORT_RELAY : IceTransportType.TRANSPORT_ALL,
    continualGatheringPolicy: ContinualGatheringPolicy.GATHER_CONTINUALLY,
    // Empty: use the ICE servers (and the TURN credentials LiveKit minted) from the join response.
    iceServers: [],
  };
  const publisher = new Room();
  const subscriber = new Room();
  let sending = true;
  try {
    const audible = new Promise<number>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no audible frames within ${options.timeoutMs} ms`)),
        options.timeoutMs,
      );
      subscriber.on(RoomEvent.TrackSubscribed, (track: RemoteTrack) => {
        if (track.kind !== TrackKind.KIND_AUDIO) return;
        void (async () => {
          let count = 0;
          for await (const frame of new AudioStream(track, SAMPLE_RATE, 1)) {
            let energy = 0;
            for (const sample of frame.data) energy += sample * sample;
            if (Math.sqrt(energy / frame.data.length) > 500) count++;
            if (count >= options.wantFrames) {
              clearTimeout(timer);
              resolve(count);
              return;
            }
          }
        })().catch(reject);
      });
    });
    await subscriber.connect(
      options.subscriberUrl,
      await joinToken(options.apiKey, options.apiSecret, options.room, "subscriber"),
      { autoSubscribe: true, dynacast: false, rtcConfig },
    );
    await publisher.connect(
      options.publisherUrl,
      await joinToken(options.apiKey, options.apiSecret, options.room, "publisher"),
      { autoSubscribe: false, dynacast: false, rtcConfig },
    );
    const source = new AudioSource(SAMPLE_RATE, 1);
    const track = LocalAudioTrack.createAudioTrack("tone", source);
    await publisher.localParticipant?.publishTrack(
      track,
      new TrackPublishOptions({ source: TrackSource.SOURCE_MICROPHONE }),
    );
    const tone = (async () => {
      let t = 0;
      while (sending) {
        const frame = AudioFrame.create(SAMPLE_RATE, 1, FRAME_SAMPLES);
        for (let i = 0; i < FRAME_SAMPLES; i++, t++)
          frame.data[i] = Math.round(8000 * Math.sin((2 * Math.PI * 440 * t) / SAMPLE_RATE));
        await source.captureFrame(frame);
      }
    })();
    try {
      return { audibleFrames: await audible };
    } finally {
      sending = false;
      await tone;
      await track.close();
      await source.close();
    }
  } finally {
    sending = false;
    await publisher.disconnect();
    await subscriber.disconnect();
  }
}
