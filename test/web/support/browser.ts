import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import puppeteer, { type Browser, type BrowserContext, type Page } from "puppeteer-core";
import type { NetworkNamespace } from "./network-namespace.ts";
import { CHROMIUM_BIN } from "./web-stack.ts";

/**
 * Debian's Chromium, headless, inside the test's network namespace. puppeteer talks to it over a pipe (a
 * DevTools port would be inside the namespace, out of the test's reach); a one-line wrapper puts the browser
 * in the namespace because puppeteer puts its own flags before any we pass.
 */
export async function launchChromium(
  namespace: NetworkNamespace,
): Promise<{ browser: Browser; close(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), "gomeet-chromium-"));
  const wrapper = join(dir, "chromium-in-namespace");
  writeFileSync(wrapper, `#!/bin/sh\nexec ip netns exec ${namespace.name} ${CHROMIUM_BIN} "$@"\n`);
  chmodSync(wrapper, 0o755);
  const browser = await puppeteer.launch({
    executablePath: wrapper,
    pipe: true,
    headless: true,
    userDataDir: join(dir, "profile"),
    args: [
      "--no-sandbox",
      "--use-fake-ui-for-media-stream",
      "--use-fake-device-for-media-stream",
      "--autoplay-policy=no-user-gesture-required",
      "--auto-accept-this-tab-capture",
      "--disable-gpu",
      "--disable-dev-shm-usage",
      "--no-first-run",
    ],
    protocolTimeout: 120_000,
  });
  return {
    browser,
    async close() {
      await browser.close().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Records every RTCPeerConnection a page creates, so the test can read what the media layer did with
 * `getStats` (frames decoded, frame sizes, candidate types) without anything test-specific in the app.
 */
const RECORD_PEER_CONNECTIONS = `
(() => {
  const Original = window.RTCPeerConnection;
  const all = [];
  window.__peerConnections = all;
  window.RTCPeerConnection = function (...args) {
    const pc = new Original(...args);
    all.push(pc);
    return pc;
  };
  window.RTCPeerConnection.prototype = Original.prototype;
  Object.setPrototypeOf(window.RTCPeerConnection, Original);
})();
`;

export interface Person {
  context: BrowserContext;
  page: Page;
  name: string;
}

/** A person is a private browser context (own storage) with one tab on a phone- or laptop-sized viewport. */
export async function openPerson(
  browser: Browser,
  name: string,
  viewport: { width: number; height: number } = { width: 1280, height: 800 },
): Promise<Person> {
  const context = await browser.createBrowserContext();
  const page = await context.newPage();
  await page.setViewport(viewport);
  await page.evaluateOnNewDocument(RECORD_PEER_CONNECTIONS);
  page.on("dialog", (dialog) => void dialog.accept());
  return { context, page, name };
}

export interface InboundVideo {
  trackIdentifier: string;
  framesDecoded: number;
  frameWidth: number;
  frameHeight: number;
}

// The in-page code is plain JavaScript text: it runs in the browser, where none of the test's modules exist.
const STATS_OF_OPEN_CONNECTIONS = `
  (async () => {
    const reports = [];
    for (const pc of window.__peerConnections ?? []) {
      if (pc.connectionState === "closed") continue;
      const stats = await pc.getStats();
      const byId = {};
      stats.forEach((r) => { byId[r.id] = r; });
      reports.push({ state: pc.connectionState, reports: Object.values(byId) });
    }
    return reports;
  })()
`;

type StatsReport = Record<string, unknown>;

async function statsOf(page: Page): Promise<{ state: string; reports: StatsReport[] }[]> {
  return (await page.evaluate(STATS_OF_OPEN_CONNECTIONS)) as { state: string; reports: StatsReport[] }[];
}

/** Inbound video streams of every peer connection on the page, from `getStats`. */
export async function inboundVideo(page: Page): Promise<InboundVideo[]> {
  return (await statsOf(page)).flatMap(({ reports }) =>
    reports
      .filter((r) => r.type === "inbound-rtp" && r.kind === "video")
      .map((r) => ({
        trackIdentifier: String(r.trackIdentifier ?? ""),
        framesDecoded: Number(r.framesDecoded ?? 0),
        frameWidth: Number(r.frameWidth ?? 0),
        frameHeight: Number(r.frameHeight ?? 0),
      })),
  );
}

/** Total audio samples received on the page (grows while remote audio is arriving). */
export async function inboundAudioSamples(page: Page): Promise<number> {
  return (await statsOf(page))
    .flatMap(({ reports }) => reports.filter((r) => r.type === "inbound-rtp" && r.kind === "audio"))
    .reduce((sum, r) => sum + Number(r.totalSamplesReceived ?? 0), 0);
}

/** Candidate types of the selected pairs of connected peer connections ("host", "relay", …). */
export async function selectedCandidateTypes(page: Page): Promise<string[]> {
  const types: string[] = [];
  for (const { state, reports } of await statsOf(page)) {
    if (state !== "connected") continue;
    const byId = new Map(reports.map((r) => [String(r.id), r]));
    for (const r of reports) {
      if (r.type !== "candidate-pair" || r.nominated !== true || r.state !== "succeeded") continue;
      const local = byId.get(String(r.localCandidateId));
      if (local) types.push(String(local.candidateType));
    }
  }
  return types;
}
