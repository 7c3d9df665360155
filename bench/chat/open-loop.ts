/**
 * Open loop: messages are due at fixed times (a constant offered rate, spread over the meetings and, within a
 * meeting, over senders at no more than 2 messages/s each — the default per-participant limit of 20 per 10 s).
 * Latency is taken from the time a message was due, not from when the generator got round to sending it, so a
 * server (or generator) that falls behind shows up in the percentiles instead of slowing the offered load
 * (no coordinated omission). Deliveries still missing at the end count as slower than every delivered one.
 */
import { randomUUID } from "node:crypto";
import { connectMeetings, delivered, disconnect, percentile, sendFrame } from "./clients.ts";
import { newMeetingIds, type Target } from "./stack.ts";

const SENDER_RATE = 2;
/** How long after the last due time deliveries are still waited for. */
const DRAIN_MS = 20_000;

export interface OpenLoopRow {
  server: string;
  scenario: string;
  sockets: number;
  rate: number;
  seconds: number;
  messages: number;
  deliveries: number;
  expected: number;
  p50: number;
  p99: number;
  p999: number;
  max: number;
  /** How late the generator itself sent (p99, ms): large values mean the generator, not the server, lagged. */
  sendLagP99: number;
}

export async function openLoop(
  target: Target,
  shape: { name: string; meetings: number; size: number },
  rate: number,
  seconds: number,
): Promise<OpenLoopRow> {
  const dueAt = new Map<string, number>();
  const latencies: number[] = [];
  const groups = await connectMeetings(target, newMeetingIds(shape.meetings), shape.size, (id) => {
    const due = dueAt.get(id);
    if (due !== undefined) latencies.push(performance.now() - due);
  });
  const perMeeting = rate / shape.meetings;
  const sendersPerMeeting = Math.min(shape.size, Math.max(1, Math.ceil(perMeeting / SENDER_RATE)));
  const total = Math.round(rate * seconds);
  const sendLag: number[] = [];
  const start = performance.now() + 100;
  let next = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      while (next < total) {
        const due = start + (next * 1000) / rate;
        if (due > now) break;
        const meeting = next % shape.meetings;
        const turn = Math.floor(next / shape.meetings);
        const sender = groups[meeting]![turn % sendersPerMeeting]!;
        const id = randomUUID();
        dueAt.set(id, due);
        sendFrame(sender.socket, id, `open loop ${next}`);
        sendLag.push(now - due);
        next++;
      }
      if (next >= total) {
        clearInterval(timer);
        resolve();
      }
    };
    const timer = setInterval(tick, 1);
  });
  const expected = total * shape.size;
  const deadline = performance.now() + DRAIN_MS;
  while (delivered(groups) < expected && performance.now() < deadline)
    await new Promise((r) => setTimeout(r, 50));
  const deliveries = delivered(groups);
  await disconnect(groups);
  latencies.sort((a, b) => a - b);
  // Every missing delivery counts as slower than any that arrived.
  const all = [
    ...latencies,
    ...Array.from({ length: Math.max(0, expected - latencies.length) }, () => Infinity),
  ];
  sendLag.sort((a, b) => a - b);
  return {
    server: target.name,
    scenario: shape.name,
    sockets: shape.meetings * shape.size,
    rate,
    seconds,
    messages: total,
    deliveries,
    expected,
    p50: percentile(all, 50),
    p99: percentile(all, 99),
    p999: percentile(all, 99.9),
    max: all[all.length - 1] ?? Number.NaN,
    sendLagP99: percentile(sendLag, 99),
  };
}
