/** The load generator's sockets: opening them in batches and counting the events each receives. */
import { randomUUID } from "node:crypto";
import { WebSocket } from "ws";
import { ORIGIN, type Target } from "./stack.ts";

const ID_FIELD = '"id":"';
const UUID_LENGTH = 36;

/** One socket of the load generator; `onEvent` sees the client id of every event it receives. */
export class Participant {
  received = 0;
  constructor(
    readonly socket: WebSocket,
    onEvent: (id: string) => void,
  ) {
    socket.on("message", (data) => {
      const text = data.toString();
      if (!text.includes('"type":"event"')) return;
      this.received++;
      // Both servers put the client's id (a UUID) in the event: slicing it out keeps the generator's own
      // CPU per frame small and equal for both.
      const at = text.indexOf(ID_FIELD);
      if (at >= 0) onEvent(text.slice(at + ID_FIELD.length, at + ID_FIELD.length + UUID_LENGTH));
    });
  }
}

export async function openSocket(url: string): Promise<WebSocket> {
  const socket = new WebSocket(url, { origin: ORIGIN, perMessageDeflate: false });
  await new Promise<void>((resolve, reject) => {
    socket.once("open", resolve);
    socket.once("error", reject);
    socket.once("unexpected-response", (_q, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
  });
  return socket;
}

/**
 * A 503 is chat saying a dependency (membership, Redis) did not answer in time — on a starved machine, while
 * thousands of sockets open. Like a client, try again after a pause, a few times, with a fresh ticket.
 */
async function openWithRetry(target: Target, meetingId: string): Promise<WebSocket> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await openSocket(await target.socketUrl(meetingId, randomUUID()));
    } catch (error) {
      if (attempt >= 5 || !String(error).includes("503")) throw error;
      await new Promise((r) => setTimeout(r, 250 * attempt));
    }
  }
}

/** Opens `size` sockets in each meeting, 50 at a time, and returns them grouped by meeting. */
export async function connectMeetings(
  target: Target,
  meetingIds: readonly string[],
  size: number,
  onEvent: (id: string) => void,
  progress?: (opened: number, total: number) => void,
): Promise<Participant[][]> {
  const groups: Participant[][] = meetingIds.map(() => []);
  const jobs = meetingIds.flatMap((meetingId, group) =>
    Array.from({ length: size }, () => ({ meetingId, group })),
  );
  for (let i = 0; i < jobs.length; i += 50) {
    await Promise.all(
      jobs.slice(i, i + 50).map(async ({ meetingId, group }) => {
        const socket = await openWithRetry(target, meetingId);
        groups[group]!.push(new Participant(socket, onEvent));
      }),
    );
    if (progress && (i / 50) % 20 === 0) progress(Math.min(i + 50, jobs.length), jobs.length);
  }
  // Chat's welcome/synced/presence traffic settles before anything is measured.
  await new Promise((r) => setTimeout(r, 1000));
  return groups;
}

export function disconnect(groups: Participant[][]): Promise<void> {
  for (const p of groups.flat()) p.socket.terminate();
  return new Promise((r) => setTimeout(r, 500));
}

export const delivered = (groups: Participant[][]) => groups.flat().reduce((n, p) => n + p.received, 0);

export const percentile = (sorted: readonly number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;

export const sendFrame = (socket: WebSocket, id: string, text: string) =>
  socket.send(JSON.stringify({ v: 1, type: "send", id, text }));
