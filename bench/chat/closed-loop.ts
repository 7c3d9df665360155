/**
 * Saturation (closed loop): in each meeting `senders` sockets keep `inflight` messages each unanswered — the next
 * goes when the sender receives one of its own back through the fan-out — until `messages` per meeting are sent.
 * The offered load follows the server, so this finds its capacity; its latency is not what a user would see
 * (a slow answer delays the next send: coordinated omission), which is what open-loop.ts measures.
 */
import { randomUUID } from "node:crypto";
import { waitFor } from "../../test/support/processes.ts";
import { connectMeetings, delivered, disconnect, percentile, sendFrame } from "./clients.ts";
import { newMeetingIds, type Target } from "./stack.ts";

export interface ClosedLoopRow {
  server: string;
  scenario: string;
  sockets: number;
  messages: number;
  deliveries: number;
  expected: number;
  seconds: number;
  deliveredPerSecond: number;
  p50: number;
  p99: number;
}

export async function closedLoop(
  target: Target,
  shape: { name: string; meetings: number; size: number },
  load: { messages: number; senders: number; inflight: number },
): Promise<ClosedLoopRow> {
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  const echo = new Map<string, () => void>();
  const groups = await connectMeetings(target, newMeetingIds(shape.meetings), shape.size, (id) => {
    const t = sentAt.get(id);
    if (t !== undefined) latencies.push(performance.now() - t);
    echo.get(id)?.();
  });
  const started = performance.now();
  await Promise.all(
    groups.map(async (group) => {
      let sent = 0;
      const senders = group.slice(0, Math.min(load.senders, group.length));
      const worker = async (socket: (typeof senders)[number]["socket"]) => {
        while (sent < load.messages) {
          sent++;
          const id = randomUUID();
          const echoed = new Promise<void>((resolve) => echo.set(id, resolve));
          sentAt.set(id, performance.now());
          sendFrame(socket, id, `bench ${sent}`);
          await echoed;
          echo.delete(id);
        }
      };
      await Promise.all(
        senders.flatMap((s) => Array.from({ length: load.inflight }, () => worker(s.socket))),
      );
    }),
  );
  const expected = shape.meetings * shape.size * load.messages;
  await waitFor("every delivery", async () => delivered(groups) >= expected, 60_000).catch(() => undefined);
  const seconds = (performance.now() - started) / 1000;
  const deliveries = delivered(groups);
  await disconnect(groups);
  latencies.sort((a, b) => a - b);
  return {
    server: target.name,
    scenario: shape.name,
    sockets: shape.meetings * shape.size,
    messages: shape.meetings * load.messages,
    deliveries,
    expected,
    seconds,
    deliveredPerSecond: deliveries / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
  };
}
