import { readFileSync } from "node:fs";
import { ContinualGatheringPolicy, IceTransportType, Room, RoomEvent } from "@livekit/rtc-node";
import { Redis } from "ioredis";
import type { MeetingsHarness, User } from "../../../apps/meetings/test/harness.ts";
import type { LiveKitConfigInput } from "../../../components/media/livekit-config.ts";
import type { RunningLiveKitNode } from "./livekit-node.ts";
import {
  type PublishedMedia,
  publishCameraAndMicrophone,
  type ReceivedMedia,
  receiveMedia,
} from "./rtc-video.ts";

/** A member who joined through the meetings API and is connected with rtc-node. */
export interface ConnectedMember {
  user: User;
  room: Room;
  roomName: string;
  received: ReceivedMedia;
  published: PublishedMedia | undefined;
  /** When the SDK reported losing and regaining the connection (ms since the epoch). */
  reconnects: { reconnecting: number[]; reconnected: number[] };
}

/** POST /join as `user`, then connect to the URL and token it answered with; publish as asked. */
export async function joinAndConnect(
  h: MeetingsHarness,
  meetingId: string,
  user: User,
  publish: "camera" | "microphone" | "nothing",
): Promise<ConnectedMember> {
  const res = await h.request(`/v1/meetings/${meetingId}/join`, { method: "POST", user });
  if (res.status !== 200) throw new Error(`join answered ${res.status}: ${await res.text()}`);
  const join = (await res.json()) as { url: string; token: string; room: string };
  const room = new Room();
  const received = receiveMedia(room);
  const reconnects = { reconnecting: [] as number[], reconnected: [] as number[] };
  room.on(RoomEvent.Reconnecting, () => reconnects.reconnecting.push(Date.now()));
  room.on(RoomEvent.Reconnected, () => reconnects.reconnected.push(Date.now()));
  await room.connect(join.url, join.token, {
    autoSubscribe: true,
    dynacast: true,
    rtcConfig: {
      iceTransportType: IceTransportType.TRANSPORT_ALL,
      continualGatheringPolicy: ContinualGatheringPolicy.GATHER_CONTINUALLY,
      iceServers: [],
    },
  });
  const published =
    publish === "nothing"
      ? undefined
      : await publishCameraAndMicrophone(room, { camera: publish === "camera" });
  return { user, room, roomName: join.room, received, published, reconnects };
}

export async function leave(members: ConnectedMember[]): Promise<void> {
  for (const member of members) {
    await member.published?.stop();
    await member.room.disconnect();
  }
}

/** A client of the Redis the LiveKit nodes share (TLS, as rendered), for LiveKit's node registry. */
export function liveKitRedisOf(node: RunningLiveKitNode): Redis {
  const redis: LiveKitConfigInput["redis"] = node.input.redis;
  const [host, port] = redis.address.split(":");
  const ca = redis.tls.caCertFile;
  return new Redis({
    host,
    port: Number(port),
    password: redis.password,
    ...(ca ? { tls: { ca: readFileSync(ca) } } : {}),
    lazyConnect: false,
  });
}

/** The LiveKit node id a node registered under (label of its own Prometheus series). */
export async function nodeIdOf(node: RunningLiveKitNode): Promise<string> {
  const text = await (await fetch(node.metricsUrl)).text();
  const match = /node_id="([^"]+)"/.exec(text);
  if (!match?.[1]) throw new Error(`no node_id label in ${node.metricsUrl}`);
  return match[1];
}
