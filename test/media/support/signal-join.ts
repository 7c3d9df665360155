import { SignalResponse } from "@livekit/protocol";
import WebSocket from "ws";

export interface JoinIceServer {
  urls: string[];
  username: string;
  credential: string;
}

/**
 * Opens LiveKit's signal WebSocket the way a client SDK does and returns the ICE servers of the join response
 * (the first message), then closes. This is what a browser gets to build its RTCPeerConnection from.
 */
export async function joinResponseIceServers(wsUrl: string, token: string): Promise<JoinIceServer[]> {
  const url = `${wsUrl}/rtc?access_token=${encodeURIComponent(token)}&protocol=15&sdk=js&auto_subscribe=1`;
  return await new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    const timer = setTimeout(() => {
      socket.terminate();
      reject(new Error("no join response within 10 s"));
    }, 10_000);
    socket.on("message", (data: Buffer) => {
      const response = SignalResponse.fromBinary(new Uint8Array(data));
      if (response.message.case !== "join") return;
      clearTimeout(timer);
      socket.close();
      resolve(
        response.message.value.iceServers.map((s) => ({
          urls: s.urls,
          username: s.username,
          credential: s.credential,
        })),
      );
    });
    socket.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}
