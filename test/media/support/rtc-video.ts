import {
  AudioFrame,
  AudioSource,
  AudioStream,
  LocalAudioTrack,
  LocalVideoTrack,
  type RemoteTrack,
  type RemoteTrackPublication,
  type Room,
  RoomEvent,
  TrackKind,
  TrackPublishOptions,
  TrackSource,
  VideoBufferType,
  VideoFrame,
  VideoSource,
  VideoStream,
} from "@livekit/rtc-node";

/**
 * The camera track GoMeet's web client publishes: 1280×720 with simulcast on (meetings' clientSettings turn it
 * on for every meeting size) and the JS SDK's default layers for a 16:9 720p capture, h180 and h360 below the
 * full-size layer ("defaultSimulcastPresets169", livekit/client-sdk-js src/room/track/options.ts,
 * https://github.com/livekit/client-sdk-js/blob/main/src/room/track/options.ts). The Rust core under
 * @livekit/rtc-node derives the same three layers for a 720p source.
 */
export const CAMERA = { width: 1280, height: 720, fps: 24, maxBitrate: 1_700_000 } as const;
export const SIMULCAST_LAYERS = [
  { quality: "low", width: 320, height: 180 },
  { quality: "medium", width: 640, height: 360 },
  { quality: "high", width: 1280, height: 720 },
] as const;

/** rtc-node's FFI quality enum (livekit.proto.VideoQuality). */
const FFI_QUALITY = { low: 0, medium: 1, high: 2 } as const;

/**
 * A moving test pattern: a vertical and a horizontal bar sweep the frame, so every frame differs and the
 * encoder keeps producing real bitrate. Rows are filled with `fill` (native), cheap enough for 24 fps.
 */
class MovingPattern {
  private readonly buffer: Uint8Array;
  private tick = 0;

  constructor(
    private readonly width: number,
    private readonly height: number,
  ) {
    const luma = width * height;
    this.buffer = new Uint8Array(luma + 2 * (luma / 4));
    this.buffer.fill(128, luma);
  }

  next(): VideoFrame {
    const { width, height, buffer } = this;
    const barWidth = width / 8;
    const x = (this.tick * 16) % (width - barWidth);
    const y = (this.tick * 9) % (height - 40);
    for (let row = 0; row < height; row++) {
      const start = row * width;
      if (row >= y && row < y + 40) {
        buffer.fill(220, start, start + width);
        continue;
      }
      buffer.fill(40 + (row % 64), start, start + width);
      buffer.fill(235, start + x, start + x + barWidth);
    }
    this.tick++;
    return new VideoFrame(buffer, width, height, VideoBufferType.I420);
  }
}

export interface PublishedMedia {
  videoSid: string;
  audioSid: string;
  stop(): Promise<void>;
}

/** Publishes the camera (simulcast) and a 440 Hz microphone tone until `stop`; either can be left out. */
export async function publishCameraAndMicrophone(
  room: Room,
  options: { camera: boolean; microphone?: boolean } = { camera: true },
): Promise<PublishedMedia> {
  const participant = room.localParticipant;
  if (!participant) throw new Error("publishCameraAndMicrophone: the room is not connected");
  const video = new VideoSource(CAMERA.width, CAMERA.height);
  const videoTrack = LocalVideoTrack.createVideoTrack("camera", video);
  const videoPublication = options.camera
    ? await participant.publishTrack(
        videoTrack,
        new TrackPublishOptions({
          source: TrackSource.SOURCE_CAMERA,
          simulcast: true,
          videoEncoding: { maxBitrate: BigInt(CAMERA.maxBitrate), maxFramerate: CAMERA.fps },
        }),
      )
    : undefined;
  const audio = new AudioSource(48_000, 1);
  const audioTrack = LocalAudioTrack.createAudioTrack("microphone", audio);
  const microphone = options.microphone ?? true;
  const audioPublication = microphone
    ? await participant.publishTrack(
        audioTrack,
        new TrackPublishOptions({ source: TrackSource.SOURCE_MICROPHONE }),
      )
    : undefined;
  const pattern = new MovingPattern(CAMERA.width, CAMERA.height);
  const frames = setInterval(() => {
    if (options.camera && !video.closed) video.captureFrame(pattern.next());
  }, 1000 / CAMERA.fps);
  let sending = microphone;
  const tone = (async () => {
    let t = 0;
    while (sending) {
      const frame = AudioFrame.create(48_000, 1, 480);
      for (let i = 0; i < 480; i++, t++)
        frame.data[i] = Math.round(8000 * Math.sin((2 * Math.PI * 440 * t) / 48_000));
      await audio.captureFrame(frame);
    }
  })();
  return {
    videoSid: videoPublication?.sid ?? "",
    audioSid: audioPublication?.sid ?? "",
    async stop() {
      clearInterval(frames);
      sending = false;
      await tone;
      await videoTrack.close();
      await audioTrack.close();
      await video.close();
      await audio.close();
    },
  };
}

/** What one subscriber decoded: video frames by size (`1280x720`) and audio frames carrying the tone. */
export class ReceivedMedia {
  readonly framesBySize = new Map<string, number>();
  /** The size of every decoded video frame, in arrival order (bounded to the last 2,000). */
  readonly sizes: string[] = [];
  audibleFrames = 0;
  videoPublication: RemoteTrackPublication | undefined;

  videoFrames(size?: string): number {
    if (size !== undefined) return this.framesBySize.get(size) ?? 0;
    let total = 0;
    for (const count of this.framesBySize.values()) total += count;
    return total;
  }

  describe(): string {
    return `video ${JSON.stringify(Object.fromEntries(this.framesBySize))}, audible audio frames ${this.audibleFrames}`;
  }
}

/** Decodes every video and audio track the room subscribes to into `received`. */
export function receiveMedia(room: Room): ReceivedMedia {
  const received = new ReceivedMedia();
  room.on(RoomEvent.TrackSubscribed, (track: RemoteTrack, publication: RemoteTrackPublication) => {
    if (track.kind === TrackKind.KIND_VIDEO) {
      received.videoPublication = publication;
      void (async () => {
        for await (const event of new VideoStream(track)) {
          const size = `${event.frame.width}x${event.frame.height}`;
          received.framesBySize.set(size, (received.framesBySize.get(size) ?? 0) + 1);
          received.sizes.push(size);
          if (received.sizes.length > 2_000) received.sizes.splice(0, 1_000);
        }
      })().catch(() => undefined);
    } else if (track.kind === TrackKind.KIND_AUDIO) {
      void (async () => {
        for await (const frame of new AudioStream(track, 48_000, 1)) {
          let energy = 0;
          for (const sample of frame.data) energy += sample * sample;
          if (Math.sqrt(energy / frame.data.length) > 500) received.audibleFrames++;
        }
      })().catch(() => undefined);
    }
  });
  return received;
}

interface FfiRequester {
  request(request: unknown): unknown;
}

/**
 * Asks the SFU for one simulcast layer of a subscribed track, as a browser client does when it renders a small
 * tile. rtc-node 1.1 has the FFI request (SetRemoteTrackPublicationQuality) but no method on the publication,
 * so the request goes through the SDK's own FFI client, the process-wide instance it keeps on globalThis.
 */
export function requestVideoQuality(
  publication: RemoteTrackPublication,
  quality: keyof typeof FFI_QUALITY,
): void {
  const ffi = (globalThis as { _ffiClientInstance?: FfiRequester })._ffiClientInstance;
  if (!ffi) throw new Error("requestVideoQuality: the rtc-node FFI client is not initialised");
  ffi.request({
    message: {
      case: "setRemoteTrackPublicationQuality",
      value: { trackPublicationHandle: publication.ffiHandle.handle, quality: FFI_QUALITY[quality] },
    },
  });
}
