/**
 * Memory per idle socket, measured so the figure means something: the server process is collected twice (DevTools
 * `gc()` under `--expose-gc`) before every sample, several samples a second apart are taken before and after the
 * sockets open and the medians compared; heap (V8), external and RSS per socket are reported, with the kernel's
 * share beside them from /proc/net/sockstat (socket buffer pages) and /proc/slabinfo (the socket objects
 * themselves). Both ends of every socket are on this machine, so the kernel figures are per socket end (÷ 2).
 */
import { readFileSync } from "node:fs";
import { connectMeetings, disconnect } from "./clients.ts";
import type { MemorySample } from "./inspector.ts";
import { newMeetingIds, type Target } from "./stack.ts";

const SAMPLES = 5;
const MEETING_SIZE = 500;

export interface MemoryRow {
  server: string;
  sockets: number;
  heapPerSocket: number;
  externalPerSocket: number;
  rssPerSocket: number;
  /** max − min of the RSS samples after the sockets opened, per socket: how settled the reading was. */
  rssSpreadPerSocket: number;
  kernelBufferPerSocketEnd: number;
  kernelObjectsPerSocketEnd: number | undefined;
}

interface KernelSnapshot {
  tcpMemPages: number;
  slabBytes: number | undefined;
}

function kernel(): KernelSnapshot {
  const sockstat = readFileSync("/proc/net/sockstat", "utf8");
  const tcpMemPages = Number(/TCP:.*\bmem (\d+)/.exec(sockstat)?.[1] ?? Number.NaN);
  let slabBytes: number | undefined;
  try {
    // Root only: the TCP socket, its inode and the file each socket holds.
    const slab = readFileSync("/proc/slabinfo", "utf8");
    slabBytes = 0;
    for (const cache of ["TCP", "sock_inode_cache", "filp", "dentry", "eventpoll_epi"]) {
      const m = new RegExp(`^${cache}\\s+(\\d+)\\s+\\d+\\s+(\\d+)`, "m").exec(slab);
      if (m) slabBytes += Number(m[1]) * Number(m[2]);
    }
  } catch {
    slabBytes = undefined;
  }
  return { tcpMemPages, slabBytes };
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;

async function settledSamples(target: Target): Promise<MemorySample[]> {
  const samples: MemorySample[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    samples.push(await target.inspector.collectAndMeasure());
  }
  return samples;
}

export async function memoryPerSocket(
  target: Target,
  sockets: number,
  log: (line: string) => void,
): Promise<MemoryRow> {
  const before = await settledSamples(target);
  const kernelBefore = kernel();
  const meetings = Math.max(1, Math.ceil(sockets / MEETING_SIZE));
  const groups = await connectMeetings(
    target,
    newMeetingIds(meetings),
    Math.ceil(sockets / meetings),
    () => undefined,
    (opened, total) => log(`  ${target.name}: ${opened}/${total} sockets open`),
  );
  const opened = groups.flat().length;
  await new Promise((r) => setTimeout(r, 2000));
  const after = await settledSamples(target);
  const kernelAfter = kernel();
  await disconnect(groups);
  const per = (pick: (s: MemorySample) => number) =>
    (median(after.map(pick)) - median(before.map(pick))) / opened;
  const rssAfter = after.map((s) => s.rss);
  return {
    server: target.name,
    sockets: opened,
    heapPerSocket: per((s) => s.heapUsed),
    externalPerSocket: per((s) => s.external),
    rssPerSocket: per((s) => s.rss),
    rssSpreadPerSocket: (Math.max(...rssAfter) - Math.min(...rssAfter)) / opened,
    kernelBufferPerSocketEnd: ((kernelAfter.tcpMemPages - kernelBefore.tcpMemPages) * 4096) / (2 * opened),
    kernelObjectsPerSocketEnd:
      kernelAfter.slabBytes === undefined || kernelBefore.slabBytes === undefined
        ? undefined
        : (kernelAfter.slabBytes - kernelBefore.slabBytes) / (2 * opened),
  };
}
