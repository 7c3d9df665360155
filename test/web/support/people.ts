import { mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Page } from "puppeteer-core";
import { waitFor } from "../../support/processes.ts";
import { inboundAudioSamples, inboundVideo, type Person } from "./browser.ts";

/**
 * What a person does in the app, by what they see: labels, button texts and headings. The browser tests
 * read like the user guide (docs/user-guide.md).
 */
export const SCREENSHOT_DIR = resolve(
  process.env.WEB_SCREENSHOTS_DIR ?? join(tmpdir(), "gomeet-web-screenshots"),
);

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`) as `${string}.png` });
}

export async function click(page: Page, selector: string): Promise<void> {
  await page.locator(selector).setTimeout(30_000).click();
}

export async function fill(page: Page, selector: string, value: string): Promise<void> {
  await page.locator(selector).setTimeout(30_000).fill(value);
}

export async function textOf(page: Page, selector: string): Promise<string> {
  const handle = await page.waitForSelector(selector, { timeout: 30_000 });
  return (await handle!.evaluate((el) => el.textContent ?? "")).trim();
}

export async function waitForText(
  page: Page,
  selector: string,
  text: string,
  timeout = 30_000,
): Promise<void> {
  const predicate = `[...document.querySelectorAll(${JSON.stringify(selector)})].some((el) => (el.textContent ?? "").includes(${JSON.stringify(text)}))`;
  await page.waitForFunction(predicate, { timeout });
}

export async function signUp(person: Person, email: string, password: string): Promise<void> {
  const { page } = person;
  await fill(page, "input[name=displayName]", person.name);
  await fill(page, "input[name=email]", email);
  await fill(page, "input[name=password]", password);
  await click(page, "button[type=submit]");
}

export async function signIn(person: Person, email: string, password: string): Promise<void> {
  const { page } = person;
  await fill(page, "input[name=email]", email);
  await fill(page, "input[name=password]", password);
  await click(page, "button[type=submit]");
}

/** From the pre-join screen into the meeting (or its waiting room). */
export async function joinFromPreJoin(page: Page): Promise<void> {
  await page.waitForSelector(".lk-prejoin", { timeout: 30_000 });
  await click(page, "button.lk-join-button");
}

export async function tileCount(page: Page, source = "camera"): Promise<number> {
  return await page.$$eval(`.lk-participant-tile[data-lk-source="${source}"]`, (tiles) => tiles.length);
}

/** Remote video is arriving: some inbound stream has a frame size and its decoded frame count grows. */
export async function expectVideoFlowing(page: Page, what: string, minStreams = 1): Promise<void> {
  let before = new Map<string, number>();
  await waitFor(
    `${what}: ${minStreams} inbound video stream(s) with growing framesDecoded`,
    async () => {
      const now = await inboundVideo(page);
      const growing = now.filter(
        (s) =>
          s.frameWidth > 0 && s.framesDecoded > (before.get(s.trackIdentifier) ?? Number.POSITIVE_INFINITY),
      );
      before = new Map(now.map((s) => [s.trackIdentifier, s.framesDecoded]));
      if (growing.length >= minStreams) return true;
      await new Promise((r) => setTimeout(r, 700));
      return false;
    },
    45_000,
  );
}

export async function expectAudioFlowing(page: Page, what: string): Promise<void> {
  let before = Number.POSITIVE_INFINITY;
  await waitFor(
    `${what}: inbound audio samples growing`,
    async () => {
      const now = await inboundAudioSamples(page);
      const growing = now > before;
      before = now;
      if (growing) return true;
      await new Promise((r) => setTimeout(r, 700));
      return false;
    },
    45_000,
  );
}

/** The chat log as the person sees it: one "from: text" line per message, in display order. */
export async function chatLines(page: Page): Promise<string[]> {
  return await page.$$eval("[data-testid=chat-log] li", (items) =>
    items.map(
      (li) =>
        `${li.querySelector(".from")?.textContent ?? ""}: ${li.querySelector(".text")?.textContent ?? ""}`,
    ),
  );
}

/** Opens a side panel ("Chat" or "People") unless it is already open. */
export async function openPanel(page: Page, label: "Chat" | "People"): Promise<void> {
  const selector = `nav[aria-label="Meeting controls"] button::-p-text(${label})`;
  const button = await page.waitForSelector(selector, { timeout: 30_000 });
  const pressed = await button!.evaluate((el) => el.getAttribute("aria-pressed"));
  if (pressed !== "true") await button!.click();
}
