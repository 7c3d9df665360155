/**
 * The two ways the join and auth benches offer load.
 *
 * - Open loop: requests leave at a fixed rate whatever the server does, and each latency is measured from the
 *   request's intended send time, so a stall shows up in every request scheduled during it instead of hiding
 *   behind a client that stopped sending (no coordinated omission).
 * - Closed loop: `concurrency` workers send back to back; its throughput is the saturation rate.
 */

export interface LatencySummary {
  requests: number;
  /** Count per HTTP status; 0 = no answer (network error or timeout). */
  statuses: Record<number, number>;
  seconds: number;
  perSecond: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** One request: resolves to the HTTP status, or 0 when no answer came. */
export type Send = (i: number, signal: AbortSignal) => Promise<number>;

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

function summarize(latencies: number[], statuses: number[], seconds: number): LatencySummary {
  const sorted = [...latencies].sort((a, b) => a - b);
  const counts: Record<number, number> = {};
  for (const s of statuses) counts[s] = (counts[s] ?? 0) + 1;
  return {
    requests: statuses.length,
    statuses: counts,
    seconds,
    perSecond: statuses.length / seconds,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted.at(-1) ?? 0,
  };
}

async function timed(send: Send, i: number, timeoutMs: number): Promise<number> {
  try {
    return await send(i, AbortSignal.timeout(timeoutMs));
  } catch {
    return 0;
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms)));

/**
 * `count` requests at `rate` per second. Latency = answer time − intended send time; a request the generator
 * could only send late still counts from when it should have left. Requests time out after `timeoutMs`
 * (counted with status 0 and their timeout as latency), so the run is bounded by count / rate + timeoutMs.
 */
export async function openLoop(options: {
  rate: number;
  count: number;
  send: Send;
  timeoutMs?: number;
}): Promise<LatencySummary & { lateSends: number }> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const interval = 1000 / options.rate;
  const latencies: number[] = [];
  const statuses: number[] = [];
  const pending: Promise<void>[] = [];
  let lateSends = 0;
  const start = performance.now();
  for (let i = 0; i < options.count; i++) {
    const intended = start + i * interval;
    const wait = intended - performance.now();
    if (wait > 0) await sleep(wait);
    else if (wait < -5) lateSends += 1;
    pending.push(
      timed(options.send, i, timeoutMs).then((status) => {
        latencies.push(performance.now() - intended);
        statuses.push(status);
      }),
    );
  }
  await Promise.all(pending);
  return { ...summarize(latencies, statuses, (performance.now() - start) / 1000), lateSends };
}

/** `concurrency` workers back to back for `durationMs`: the rate the server sustains at saturation. */
export async function closedLoop(options: {
  concurrency: number;
  durationMs: number;
  send: Send;
  timeoutMs?: number;
}): Promise<LatencySummary> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const latencies: number[] = [];
  const statuses: number[] = [];
  let next = 0;
  const start = performance.now();
  const deadline = start + options.durationMs;
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      while (performance.now() < deadline) {
        const t = performance.now();
        const status = await timed(options.send, next++, timeoutMs);
        latencies.push(performance.now() - t);
        statuses.push(status);
      }
    }),
  );
  return summarize(latencies, statuses, (performance.now() - start) / 1000);
}

/** `200: 1520, 503: 12` — statuses in a results table cell. */
export function statusText(statuses: Record<number, number>): string {
  return Object.entries(statuses)
    .map(([status, n]) => `${status === "0" ? "no answer" : status}: ${n}`)
    .join(", ");
}
