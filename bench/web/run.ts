/**
 * Time from opening an invitation link to the first remote video frame, in Debian's Chromium against the
 * real services, PostgreSQL, redis-server and livekit-server on this machine (the browser tests' rig,
 * test/web), and the production bundle size. Writes bench/web/RESULTS.md.
 *
 *   npx tsx bench/web/run.ts [--runs 5] [--out bench/web/RESULTS.md]
 *
 * Each run is a new person (private browser context, cold cache) who is already signed in, as someone
 * clicking a link in an email would be. The baseline measured in the same run is the media part alone —
 * from pressing Join to the first frame — so the app's own share (config, accept, pre-join, join API) is
 * the difference.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import { startPostgres } from "../../test/support/postgres.ts";
import { inboundVideo, launchChromium, openPerson, type Person } from "../../test/web/support/browser.ts";
import { click, fill, joinFromPreJoin, signUp } from "../../test/web/support/people.ts";
import { missingPrograms, startWebStack } from "../../test/web/support/web-stack.ts";

const root = resolve(import.meta.dirname, "../..");
const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "5" },
    out: { type: "string", default: join(root, "bench/web/RESULTS.md") },
  },
});
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1 || runs > 20) {
  throw new Error(`--runs: expected an integer from 1 to 20, got ${JSON.stringify(values.runs)}`);
}
const TARGET_FIRST_FRAME_MS = 3000;
const TARGET_INITIAL_JS_GZIP_KB = 350;

function bundleSizes(distDir: string): { initialGzipKb: number; allGzipKb: number; files: string[] } {
  const html = readFileSync(join(distDir, "index.html"), "utf8");
  const initial = new Set([...html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.js)"/g)].map((m) => m[1]!));
  let initialBytes = 0;
  let allBytes = 0;
  const files: string[] = [];
  for (const name of readdirSync(join(distDir, "assets"))) {
    if (!name.endsWith(".js")) continue;
    const gz = gzipSync(readFileSync(join(distDir, "assets", name)), { level: 9 }).length;
    allBytes += gz;
    if (initial.has(`assets/${name}`)) initialBytes += gz;
    files.push(
      `${name} ${(statSync(join(distDir, "assets", name)).size / 1024).toFixed(1)} KB, gzip ${(gz / 1024).toFixed(1)} KB${initial.has(`assets/${name}`) ? " (initial)" : ""}`,
    );
  }
  return { initialGzipKb: initialBytes / 1024, allGzipKb: allBytes / 1024, files };
}

async function firstFrame(person: Person): Promise<number> {
  const started = Date.now();
  for (;;) {
    if ((await inboundVideo(person.page)).some((s) => s.framesDecoded > 0)) return Date.now() - started;
    if (Date.now() - started > 60_000) throw new Error(`${person.name}: no remote video frame within 60 s`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

const missing = missingPrograms();
if (missing.length > 0)
  throw new Error(`bench/web needs ${missing.join(", ")}: run bash scripts/install-test-deps.sh`);

const loadBefore = loadavg()[0] ?? 0;
const postgres = await startPostgres();
const stack = await startWebStack(postgres.adminUrl, (step) => process.stdout.write(`starting: ${step}\n`));
// Measured now: stopping the stack removes its build directory.
const sizes = bundleSizes(stack.distDir);
const chromium = await launchChromium(stack.namespace);
const password = "bench-password-1234";
const rows: { total: number; media: number }[] = [];
try {
  process.stdout.write("host signs up, schedules and opens the meeting\n");
  const host = await openPerson(chromium.browser, "Bench Host");
  await host.page.goto(`${stack.edge.origin}/signup`);
  await signUp(host, `host.${Date.now()}@example.com`, password);
  await host.page.waitForSelector("a::-p-text(Schedule a meeting)");
  await click(host.page, "a::-p-text(Schedule a meeting)");
  await fill(host.page, "input[name=title]", "Bench meeting");
  await host.page.locator("input[name=waitingRoom]").click();
  await click(host.page, "button::-p-text(Schedule)");
  await click(host.page, "button::-p-text(Create invitation link)");
  const link = await host.page.waitForSelector("[data-testid=invitation-link]");
  const invitation = String(await link!.evaluate((el) => (el as unknown as { value: string }).value));
  await click(host.page, "a::-p-text(Start meeting)");
  await joinFromPreJoin(host.page);
  await host.page.waitForSelector(".room-top", { timeout: 30_000 });

  for (let i = 0; i < runs; i++) {
    const guest = await openPerson(chromium.browser, `Guest ${i + 1}`);
    const email = `guest${i}.${Date.now()}@example.com`;
    await guest.page.goto(`${stack.edge.origin}/signup`);
    await signUp(guest, email, password);
    await guest.page.waitForSelector("a::-p-text(Schedule a meeting)");

    const opened = Date.now();
    await guest.page.goto(invitation);
    await joinFromPreJoin(guest.page);
    const joinPressed = Date.now();
    const media = await firstFrame(guest);
    rows.push({ total: joinPressed - opened + media, media });
    process.stdout.write(
      `run ${i + 1}: link → first frame ${joinPressed - opened + media} ms (join → frame ${media} ms)\n`,
    );
    await guest.page.click("button.leave");
    await guest.context.close();
  }
} finally {
  await chromium.close();
  await stack.stop();
  await postgres.stop();
}
const loadAfter = loadavg()[0] ?? 0;
const totals = rows.map((r) => r.total);
const medias = rows.map((r) => r.media);
const text = `# Web app results

Written by \`bench/web/run.ts\`; rerun it to replace this file.

- Command: \`npx tsx bench/web/run.ts --runs ${runs}\`
- Date: ${new Date().toISOString()}
- Machine: ${cpus().length} cores, ${cpus()[0]?.model ?? "unknown CPU"}, ${Math.round(totalmem() / 2 ** 30)} GiB RAM; node ${process.version}
- Load average (1 min) before: ${loadBefore.toFixed(2)}, after: ${loadAfter.toFixed(2)} (other work shared the cores when well above 0).
- Setup: the production build on one loopback origin, the APIs (\`/v1\` routed by path to auth, meetings and chat: processes from their entry points, PostgreSQL 15, redis-server) on another; livekit-server and Debian's Chromium (headless, fake camera and microphone) in a network namespace of the run's own. One host in the meeting publishing a 720p simulcast camera; each run a new, signed-in person opens the invitation link (cold cache), accepts, passes pre-join with its defaults and joins; the clock stops at the first decoded remote video frame (\`getStats\` polled every 25 ms).

## Time from opening the invitation link to the first remote video frame

| measure | runs | median ms | min ms | max ms | target |
| --- | --- | --- | --- | --- | --- |
| link opened → first remote frame | ${rows.length} | ${median(totals)} | ${Math.min(...totals)} | ${Math.max(...totals)} | < ${TARGET_FIRST_FRAME_MS} ms on loopback: ${median(totals) < TARGET_FIRST_FRAME_MS ? "met" : "not met"} |
| baseline: Join pressed → first remote frame (LiveKit connect, ICE/DTLS, first keyframe) | ${rows.length} | ${median(medias)} | ${Math.min(...medias)} | ${Math.max(...medias)} | |

The app's own share (config, invitation accept, pre-join with device preview, join API) is the difference of the medians: ${median(totals) - median(medias)} ms.

## Production bundle (JavaScript, gzip -9)

| measure | KB | target |
| --- | --- | --- |
| initial JS (what \`index.html\` loads) | ${sizes.initialGzipKb.toFixed(1)} | ≤ ${TARGET_INITIAL_JS_GZIP_KB} KB: ${sizes.initialGzipKb <= TARGET_INITIAL_JS_GZIP_KB ? "met" : "not met"} |
| all JS (including the meeting room, loaded on joining) | ${sizes.allGzipKb.toFixed(1)} | |

Files: ${sizes.files.map((f) => `\`${f}\``).join("; ")}.
`;
writeFileSync(values.out!, text);
process.stdout.write(text);
