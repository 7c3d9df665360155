/**
 * The baseline of bench/chat: a bare `ws` broadcast server with no auth, storage, Redis or ordering work.
 * `?room=<id>` joins a room; every text frame `{"type":"send","id","text"}` is stamped with a per-room seq,
 * serialized once and sent to every socket of the room (the sender included), like chat's fan-out.
 * Compression off, as in chat. `PORT` from the environment; prints `listening <port>` when ready.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { WebSocket, WebSocketServer } from "ws";

const rooms = new Map<string, { seq: number; sockets: Set<WebSocket> }>();
const server = createServer((_req, res) => res.writeHead(404).end());
const wss = new WebSocketServer({ server, perMessageDeflate: false, maxPayload: 65_536 });

wss.on("connection", (socket, request) => {
  const roomId = new URL(request.url ?? "/", "http://localhost").searchParams.get("room") ?? "default";
  let room = rooms.get(roomId);
  if (!room) {
    room = { seq: 0, sockets: new Set() };
    rooms.set(roomId, room);
  }
  const joined = room;
  joined.sockets.add(socket);
  socket.on("message", (data) => {
    let frame: { id?: unknown; text?: unknown };
    try {
      frame = JSON.parse(data.toString()) as typeof frame;
    } catch {
      return;
    }
    joined.seq++;
    const out = JSON.stringify({
      v: 1,
      type: "event",
      seq: joined.seq,
      kind: "message",
      id: frame.id,
      text: frame.text,
    });
    for (const member of joined.sockets) if (member.readyState === WebSocket.OPEN) member.send(out);
  });
  socket.on("close", () => joined.sockets.delete(socket));
});

server.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => {
  process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`);
});
