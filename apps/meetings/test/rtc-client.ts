import {
  AudioSource,
  ContinualGatheringPolicy,
  IceTransportType,
  LocalAudioTrack,
  Room,
  RoomEvent,
  TrackPublishOptions,
  TrackSource,
} from "@livekit/rtc-node";

/** A real WebRTC participant (@livekit/rtc-node) that connects with the token /join handed out. */
export async function connectParticipant(url: string, token: string): Promise<Room> {
  const room = new Room();
  await room.connect(url, token, {
    autoSubscribe: false,
    dynacast: false,
    rtcConfig: {
      iceTransportType: IceTransportType.TRANSPORT_ALL,
      continualGatheringPolicy: ContinualGatheringPolicy.GATHER_CONTINUALLY,
      iceServers: [],
    },
  });
  return room;
}

/** Publishes a (silent) microphone track and returns its sid. */
export async function publishMicrophone(room: Room): Promise<{ sid: string; close(): Promise<void> }> {
  const source = new AudioSource(48_000, 1);
  const track = LocalAudioTrack.createAudioTrack("mic", source);
  const publication = await room.localParticipant!.publishTrack(
    track,
    new TrackPublishOptions({ source: TrackSource.SOURCE_MICROPHONE }),
  );
  return {
    sid: publication.sid!,
    async close() {
      await track.close();
      await source.close();
    },
  };
}

/** Resolves with the payloads of data messages on `topic`. */
export function collectData(room: Room, topic: string): string[] {
  const seen: string[] = [];
  room.on(RoomEvent.DataReceived, (payload: Uint8Array, _participant, _kind, t?: string) => {
    if (t === topic) seen.push(new TextDecoder().decode(payload));
  });
  return seen;
}

export function waitDisconnected(room: Room): Promise<void> {
  return new Promise((resolve) => room.once(RoomEvent.Disconnected, () => resolve()));
}
