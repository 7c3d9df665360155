import { randomBytes } from "node:crypto";
import type { CDPSession } from "puppeteer-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { joinPath, ROUTE_PATHS } from "../../apps/web/src/routes.ts";
import { waitFor } from "../support/processes.ts";
import {
  inboundVideo,
  launchChromium,
  openPerson,
  type Person,
  selectedCandidateTypes,
} from "./support/browser.ts";
import {
  chatLines,
  click,
  expectAudioFlowing,
  expectVideoFlowing,
  fill,
  joinFromPreJoin,
  openPanel,
  screenshot,
  signUp,
  textOf,
  tileCount,
  waitForText,
} from "./support/people.ts";
import { missingPrograms, startWebStack, type WebStack } from "./support/web-stack.ts";

/**
 * A meeting held in the browser, as people hold it: Debian's Chromium (fake camera, microphone and screen)
 * drives the built app against the real services, PostgreSQL, redis-server, livekit-server and coturn. Every
 * step checks what a person sees (the DOM) and what the media layer did (`getStats`). The steps build on each
 * other, so they run in order on shared state.
 */
let stack: WebStack;
let chromium: Awaited<ReturnType<typeof launchChromium>>;
let host: Person;
let guest: Person;
let cara: Person;
let meetingId: string;
let invitationUrl: string;
const password = `pw-${randomBytes(8).toString("hex")}`;
const emails = {
  host: `hana.${randomBytes(3).toString("hex")}@example.com`,
  guest: `gus.${randomBytes(3).toString("hex")}@example.com`,
  cara: `cara.${randomBytes(3).toString("hex")}@example.com`,
};

beforeAll(async () => {
  const missing = missingPrograms();
  if (missing.length > 0) {
    throw new Error(
      `the browser tests need ${missing.join(", ")}: run bash scripts/install-test-deps.sh as root`,
    );
  }
  stack = await startWebStack(inject("postgresAdminUrl"));
  chromium = await launchChromium(stack.namespace);
}, 300_000);

afterAll(async () => {
  await chromium?.close();
  await stack?.stop();
}, 120_000);

/** The remote video elements on the stage: the id of the track each shows and its rendered width. */
const REMOTE_VIDEO_TILES = `
  [...document.querySelectorAll(".stage video")]
    .filter((v) => !v.closest('[data-lk-local-participant="true"]'))
    .map((v) => ({ id: v.srcObject?.getVideoTracks()[0]?.id ?? "", width: v.getBoundingClientRect().width }))
`;

const url = (path: string) => `${stack.edge.origin}${path}`;

/** Chat WebSockets the page opened and which of them are closed, from the DevTools protocol. */
async function watchChatSockets(session: CDPSession): Promise<() => { open: number; closed: number }> {
  const chat = new Set<string>();
  const closed = new Set<string>();
  await session.send("Network.enable");
  session.on("Network.webSocketCreated", (event) => {
    if (event.url.includes("/v1/chat/ws")) chat.add(event.requestId);
  });
  session.on("Network.webSocketClosed", (event) => closed.add(event.requestId));
  return () => ({ open: [...chat].filter((id) => !closed.has(id)).length, closed: closed.size });
}

describe("a meeting in Chromium", () => {
  it("the host signs up, schedules a meeting with a waiting room and opens it", async () => {
    host = await openPerson(chromium.browser, "Hana Host");
    const { page } = host;
    await page.goto(url(ROUTE_PATHS.home));
    await page.waitForSelector("input[name=email]");
    await screenshot(page, "sign-in");
    await click(page, "a::-p-text(Create an account)");
    await signUp(host, emails.host, password);
    await waitForText(page, "h1", "Your meetings");
    await waitForText(page, "p", "No upcoming meetings");
    await screenshot(page, "meetings-empty");

    await click(page, "a::-p-text(Schedule a meeting)");
    await fill(page, "input[name=title]", "Design review");
    await fill(page, "input[name=capacity]", "25");
    await screenshot(page, "schedule");
    await click(page, "button::-p-text(Schedule)");
    await waitForText(page, "h1", "Design review");
    expect(await textOf(page, "[data-testid=meeting-state]")).toBe("scheduled");
    const meetingUrl = new URL(page.url());
    expect(meetingUrl.pathname).toBe(ROUTE_PATHS.meeting);
    meetingId = String(meetingUrl.searchParams.get("id"));
    // The meeting's page is an object of its own on the CDN: a reload lands on it again.
    await page.reload();
    await waitForText(page, "h1", "Design review");

    await click(page, "button::-p-text(Create invitation link)");
    const link = await page.waitForSelector("[data-testid=invitation-link]");
    invitationUrl = String(await link!.evaluate((el) => (el as unknown as { value: string }).value));
    expect(invitationUrl).toMatch(new RegExp(`^${stack.edge.origin}/j\\?code=[A-Za-z0-9_-]{43}$`));
    await screenshot(page, "meeting-details");
    // The form with the code in the path is no object in the bucket: the CDN (and the edge here) answers 404.
    const code = String(new URL(invitationUrl).searchParams.get("code"));
    expect((await fetch(url(`/j/${code}`))).status).toBe(404);
    expect((await fetch(invitationUrl)).headers.get("content-type")).toBe("text/html; charset=utf-8");

    await click(page, "a::-p-text(Start meeting)");
    await page.waitForSelector(".lk-prejoin video");
    await screenshot(page, "pre-join");
    await joinFromPreJoin(page);
    await page.waitForSelector(`.lk-participant-tile[data-lk-local-participant="true"]`, { timeout: 30_000 });
    expect(await textOf(page, ".room-top")).toContain("Main room");
  });

  it("a guest opens the invitation link, signs up, waits, and the host admits them", async () => {
    guest = await openPerson(chromium.browser, "Gus Guest");
    const { page } = guest;
    const served = stack.edge.requests.length;
    await page.goto(invitationUrl);
    await page.waitForSelector("input[name=email]");
    // The link's path is an object the stack uploads (the edge answers 404 for any other key, as the CDN does).
    expect(stack.edge.requests.slice(served)).toContain(`GET ${ROUTE_PATHS.invitation}`);
    const signIn = new URL(page.url());
    expect(signIn.pathname).toBe(ROUTE_PATHS.signin);
    expect(signIn.searchParams.get("next")).toBe(
      new URL(invitationUrl).pathname + new URL(invitationUrl).search,
    );
    await click(page, "a::-p-text(Create an account)");
    await signUp(guest, emails.guest, password);
    // Accepting the invitation lands in the join flow, on a link that survives a reload.
    await page.waitForSelector(".lk-prejoin video", { timeout: 30_000 });
    expect(page.url()).toBe(url(joinPath(meetingId)));
    await page.reload();
    await page.waitForSelector(".lk-prejoin video", { timeout: 30_000 });
    await joinFromPreJoin(page);
    await waitForText(page, "[data-testid=waiting-room]", "The host will let you in soon");
    await screenshot(page, "waiting-room");

    await openPanel(host.page, "People");
    await host.page.waitForSelector("[data-testid=waiting-entry]", { timeout: 30_000 });
    await screenshot(host.page, "host-waiting-room");
    await click(host.page, "[data-testid=waiting-entry] button::-p-text(Admit)");

    await page.waitForSelector(".room-top", { timeout: 30_000 });
    // The waiting page listened on the pushed decision stream as well as polling the join.
    expect(
      stack.gateway.requests.some((r) => /^GET \/v1\/meetings\/[0-9a-f-]+\/join\/decision$/.test(r)),
    ).toBe(true);
    await waitFor("the guest to see two camera tiles", async () => (await tileCount(page)) === 2, 30_000);
    await waitFor("the host to see two camera tiles", async () => (await tileCount(host.page)) === 2, 30_000);
  });

  it("host and guest see and hear each other", async () => {
    await expectVideoFlowing(host.page, "the host receives the guest's camera");
    await expectVideoFlowing(guest.page, "the guest receives the host's camera");
    await expectAudioFlowing(host.page, "the host hears the guest");
    await expectAudioFlowing(guest.page, "the guest hears the host");
    const received = await inboundVideo(guest.page);
    expect(Math.max(...received.map((s) => s.frameWidth))).toBeGreaterThanOrEqual(320);
    await screenshot(host.page, "meeting-grid");
  });

  it("a chat message appears on both sides in order; unread count and delivery state show", async () => {
    await openPanel(host.page, "Chat");
    await fill(host.page, "input[placeholder='Message everyone']", "Welcome, Gus!");
    await click(host.page, "form button::-p-text(Send)");
    await waitForText(host.page, "[data-testid=chat-log] [data-delivery=sent]", "Sent");

    await waitForText(guest.page, "[data-testid=unread]", "1");
    await openPanel(guest.page, "Chat");
    await waitForText(guest.page, "[data-testid=chat-log]", "Welcome, Gus!");
    await fill(guest.page, "input[placeholder='Message everyone']", "Thanks, glad to be here");
    await click(guest.page, "form button::-p-text(Send)");

    const expected = ["Hana Host: Welcome, Gus!", "You: Thanks, glad to be here"];
    await waitFor(
      "the guest's chat to show both messages",
      async () => (await chatLines(guest.page)).length === 2,
    );
    expect(await chatLines(guest.page)).toEqual(expected);
    await waitFor(
      "the host's chat to show both messages",
      async () => (await chatLines(host.page)).length === 2,
    );
    expect(await chatLines(host.page)).toEqual(["You: Welcome, Gus!", "Gus Guest: Thanks, glad to be here"]);
    await screenshot(guest.page, "chat");
  });

  it("a reload resumes: still signed in, back in the meeting, the chat history intact and in order", async () => {
    await guest.page.reload();
    await joinFromPreJoin(guest.page);
    await guest.page.waitForSelector(".room-top", { timeout: 30_000 });
    await openPanel(guest.page, "Chat");
    await waitFor(
      "the chat history after the reload",
      async () => (await chatLines(guest.page)).length === 2,
    );
    expect(await chatLines(guest.page)).toEqual(["Hana Host: Welcome, Gus!", "You: Thanks, glad to be here"]);
    await expectVideoFlowing(guest.page, "the guest receives the host's camera after the reload");
    await click(guest.page, "button[aria-label='Close chat']");
  });

  it("screen share: allowed live, seen by the host, stopped when the grant is revoked", async () => {
    // An attendee may not share by default: the Share screen control is absent until a host allows it.
    expect(await guest.page.$('button[data-lk-source="screen_share"]')).toBeNull();
    await openPanel(host.page, "People");
    await click(host.page, "button[aria-label^='Allow screen sharing for']");
    await click(guest.page, 'button[data-lk-source="screen_share"]');
    await waitFor(
      "the host to see the guest's screen",
      async () => (await tileCount(host.page, "screen_share")) === 1,
      30_000,
    );
    await expectVideoFlowing(host.page, "the host receives the camera and the screen", 2);
    await screenshot(host.page, "screen-share");

    await click(host.page, "button[aria-label^='Stop screen sharing for']");
    await waitFor(
      "the guest's Share screen control to disappear",
      async () => (await guest.page.$('button[data-lk-source="screen_share"]')) === null,
      30_000,
    );
    await waitFor(
      "the screen tile to leave the host's view",
      async () => (await tileCount(host.page, "screen_share")) === 0,
      30_000,
    );
  });

  it("the host mutes the guest: the guest's microphone shows muted", async () => {
    const micOn = 'button[data-lk-source="microphone"][data-lk-enabled="true"]';
    await guest.page.waitForSelector(micOn, { timeout: 30_000 });
    await click(host.page, "button[aria-label^='Mute ']");
    await guest.page.waitForSelector('button[data-lk-source="microphone"][data-lk-enabled="false"]', {
      timeout: 30_000,
    });
    await host.page.waitForSelector(
      '.lk-participant-tile[data-lk-audio-muted="true"]:not([data-lk-local-participant="true"])',
      {
        timeout: 30_000,
      },
    );
  });

  it("breakouts: the host opens two rooms, the guest lands in one and returns on close", async () => {
    await openPanel(host.page, "People");
    await click(host.page, "button::-p-text(Open breakout rooms)");
    await waitForText(guest.page, ".room-top", "Breakout room", 45_000);
    await waitFor(
      "the guest alone in the breakout room",
      async () => (await tileCount(guest.page)) === 1,
      30_000,
    );
    expect(await textOf(host.page, ".room-top")).toContain("Main room");
    await waitFor("the host alone in the main room", async () => (await tileCount(host.page)) === 1, 30_000);
    await screenshot(host.page, "breakouts");

    await click(host.page, "button::-p-text(Close breakout rooms)");
    await waitForText(guest.page, ".room-top", "Main room", 45_000);
    await waitFor("host and guest together again", async () => (await tileCount(guest.page)) === 2, 30_000);
    await expectVideoFlowing(guest.page, "the guest receives the host's camera back in the main room");
  });

  it("adaptive stream: in speaker view the small tile receives a lower simulcast layer than the large one", async () => {
    cara = await openPerson(chromium.browser, "Cara Phone", { width: 390, height: 844 });
    await cara.page.goto(invitationUrl);
    await click(cara.page, "a::-p-text(Create an account)");
    await signUp(cara, emails.cara, password);
    await joinFromPreJoin(cara.page);
    await cara.page.waitForSelector("[data-testid=waiting-room]", { timeout: 30_000 });
    await openPanel(host.page, "People");
    await click(host.page, "button::-p-text(Admit all)");
    await waitFor(
      "the host to see three camera tiles",
      async () => (await tileCount(host.page)) === 3,
      45_000,
    );
    await click(host.page, "button[aria-label='Close participants']");
    await click(host.page, "button::-p-text(Speaker view)");

    await waitFor(
      "a large and a small remote tile decoding different layers",
      async () => {
        const sized = (await host.page.evaluate(REMOTE_VIDEO_TILES)) as { id: string; width: number }[];
        const stats = await inboundVideo(host.page);
        const rows = sized
          .map((tile) => ({
            ...tile,
            frameWidth: stats.find((s) => s.trackIdentifier === tile.id)?.frameWidth ?? 0,
          }))
          .filter((row) => row.frameWidth > 0)
          .sort((a, b) => b.width - a.width);
        const large = rows[0];
        const small = rows[rows.length - 1];
        if (!large || !small || rows.length < 2 || large.width < 2 * small.width) return false;
        return large.frameWidth > small.frameWidth;
      },
      60_000,
    );
    await screenshot(host.page, "speaker-view");
    await screenshot(cara.page, "phone");
  });

  it("the host removes the guest: the guest sees why, the chat closes, and rejoining is refused", async () => {
    const sockets = await watchChatSockets(await guest.page.createCDPSession());
    await openPanel(host.page, "People");
    await host.page.waitForSelector("button[aria-label='Remove Gus Guest']", { timeout: 30_000 });
    await click(host.page, "button[aria-label='Remove Gus Guest']");
    await waitForText(guest.page, "[data-testid=departure]", "A host removed you from this meeting");
    expect(await guest.page.$("button::-p-text(Join again)")).toBeNull();
    await screenshot(guest.page, "removed");
    await waitFor(
      "the guest's chat socket to be closed",
      async () => sockets().open === 0 && sockets().closed > 0,
    );

    await guest.page.goto(url(joinPath(meetingId)));
    await joinFromPreJoin(guest.page);
    await waitForText(guest.page, "[data-testid=departure]", "You were removed from this meeting");
    await waitFor("the host to see the guest gone", async () => (await tileCount(host.page)) === 2, 30_000);
  });

  it("forced relay through the local coturn still carries video", async () => {
    stack.edge.config = { ...stack.edge.config, forceRelay: true };
    await host.page.reload();
    await joinFromPreJoin(host.page);
    await cara.page.reload();
    await joinFromPreJoin(cara.page);
    await waitFor("host and Cara back in the room", async () => (await tileCount(host.page)) === 2, 45_000);
    await expectVideoFlowing(cara.page, "Cara receives the host's camera through the relay");
    await expectVideoFlowing(host.page, "the host receives Cara's camera through the relay");
    for (const person of [host, cara]) {
      const types = await selectedCandidateTypes(person.page);
      expect(types.length).toBeGreaterThan(0);
      expect(new Set(types)).toEqual(new Set(["relay"]));
    }
  });

  it("the host ends the meeting for everyone", async () => {
    await click(host.page, "button::-p-text(End for all)");
    await waitForText(cara.page, "[data-testid=departure]", "The meeting has ended for everyone");
  });
});
