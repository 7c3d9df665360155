import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { waitFor } from "../../../test/support/processes.ts";
import { metricValue } from "../../shared/test/metrics-text.ts";
import { ChatClient, type ChatStack, newId, type Replica, startChatStack } from "./harness.ts";

let stack: ChatStack;
let a: Replica;
let b: Replica;
const WINDOW = 20;
const RESUME_LIMIT = 60;

beforeAll(async () => {
  stack = await startChatStack(inject("postgresAdminUrl"), "chat_resume");
  [a, b] = await Promise.all([stack.startReplica(extra), stack.startReplica(extra)]);
});
const extra = {
  CHAT_REPLAY_WINDOW: String(WINDOW),
  CHAT_RESUME_LIMIT: String(RESUME_LIMIT),
  CHAT_SLOW_CONSUMER_BYTES: "65536",
  // Large messages so a stalled reader overflows the loopback socket buffers (several MB) quickly.
  CHAT_MAX_MESSAGE_CHARS: "60000",
  CHAT_MAX_FRAME_BYTES: "131072",
};
afterAll(async () => {
  await stack?.stop();
});

async function meetingWith(count: number) {
  const meetingId = newId();
  const users = await Promise.all(Array.from({ length: count }, () => stack.user()));
  for (const u of users) stack.members.set(meetingId, u.id, "attendee");
  return { meetingId, users };
}

async function sendAndWait(client: ChatClient, texts: string[]): Promise<void> {
  const before = client.frames.filter((f) => f.type === "ack").length;
  for (const t of texts) client.sendMessage(t);
  await client.waitForCount((f) => f.type === "ack", before + texts.length);
}

describe("resume", () => {
  it("replays what a participant missed from the Redis window, in order, on the other replica", async () => {
    const { meetingId, users } = await meetingWith(2);
    const [alice, bob] = users as [(typeof users)[0], (typeof users)[0]];
    const talker = await ChatClient.join(stack, a, alice, meetingId);
    const listener = await ChatClient.join(stack, a, bob, meetingId);
    await sendAndWait(talker, ["one", "two", "three"]);
    await listener.waitForCount((f) => f.type === "event", 3);
    listener.close();
    await sendAndWait(talker, ["four", "five", "six", "seven"]);
    const back = await ChatClient.join(stack, b, bob, meetingId, 3);
    const synced = back.frames.find((f) => f.type === "synced");
    expect(synced).toMatchObject({ seq: 7, replay: "window", replayed: 4 });
    talker.sendMessage("eight");
    await back.waitForCount((f) => f.type === "event", 5);
    expect(back.events().map((e) => [e.seq, e.text])).toEqual([
      [4, "four"],
      [5, "five"],
      [6, "six"],
      [7, "seven"],
      [8, "eight"],
    ]);
    talker.close();
    back.close();
  });

  it("replays from Postgres when the gap is older than the window", async () => {
    const { meetingId, users } = await meetingWith(1);
    const talker = await ChatClient.join(stack, a, users[0]!, meetingId);
    await sendAndWait(
      talker,
      Array.from({ length: WINDOW + 15 }, (_, i) => `m${i + 1}`),
    );
    const back = await ChatClient.join(stack, b, users[0]!, meetingId, 2);
    expect(back.frames.find((f) => f.type === "synced")).toMatchObject({
      seq: WINDOW + 15,
      replay: "postgres",
      replayed: WINDOW + 13,
    });
    expect(back.events().map((e) => e.seq)).toEqual(Array.from({ length: WINDOW + 13 }, (_, i) => i + 3));
    talker.close();
    back.close();
  });

  it("tells a participant further behind than the resume limit to reload, then continues live", async () => {
    const { meetingId, users } = await meetingWith(1);
    const talker = await ChatClient.join(stack, a, users[0]!, meetingId);
    await sendAndWait(
      talker,
      Array.from({ length: RESUME_LIMIT + 5 }, (_, i) => `r${i}`),
    );
    const back = await ChatClient.join(stack, b, users[0]!, meetingId, 1);
    expect(back.frames.find((f) => f.type === "reload")).toMatchObject({
      seq: RESUME_LIMIT + 5,
      reason: "resume_out_of_range",
    });
    expect(back.events()).toEqual([]);
    talker.sendMessage("after reload");
    expect(await back.waitFor((f) => f.type === "event")).toMatchObject({
      seq: RESUME_LIMIT + 6,
      text: "after reload",
    });
    // A lastSeq from the future (another meeting log) is also a reload, not a crash.
    const future = await ChatClient.join(stack, a, users[0]!, meetingId, 10_000);
    expect(future.frames.some((f) => f.type === "reload")).toBe(true);
    for (const c of [talker, back, future]) c.close();
  });

  it("cuts off a consumer that stops reading, keeps the meeting flowing, and lets it recover by resume", async () => {
    const { meetingId, users } = await meetingWith(3);
    const talker = await ChatClient.join(stack, a, users[0]!, meetingId);
    const fast = await ChatClient.join(stack, b, users[1]!, meetingId);
    const slow = await ChatClient.join(stack, b, users[2]!, meetingId);
    const lastSeen = slow.events().length;
    // Stop reading: the kernel buffers fill, then the server's send queue grows past 64 KiB.
    (slow.socket as unknown as { _socket: { pause(): void } })._socket.pause();
    const big = "x".repeat(48_000);
    const count = 400;
    for (let i = 0; i < count; i++) talker.sendMessage(`${i} ${big}`);
    await waitFor("the slow consumer cut-off", async () => {
      const text = await (await b.http("/metrics")).text();
      return metricValue(text, "gomeet_chat_slow_consumer_disconnects_total") >= 1;
    });
    // Read again at once: the server gives a cut-off consumer a few seconds to read up to the close frame,
    // a window that must not depend on how fast the rest of the meeting's traffic flows.
    (slow.socket as unknown as { _socket: { resume(): void } })._socket.resume();
    await fast.waitForCount((f) => f.type === "event", count, 60_000);
    await slow.waitClosed(15_000);
    expect(slow.closeCode).toBe(4008);
    expect(slow.closeReason).toBe("slow_consumer");
    const got = slow.events().map((e) => e.seq as number);
    expect(got.length).toBeLessThan(count);
    // The gap is larger than this stack's resume limit; a replica configured with a larger one replays it.
    const roomy = await stack.startReplica({ ...extra, CHAT_RESUME_LIMIT: "1000" });
    const resumed = await ChatClient.join(stack, roomy, users[2]!, meetingId, got.at(-1) ?? lastSeen);
    expect(resumed.frames.find((f) => f.type === "synced")).toMatchObject({ replay: "postgres" });
    const all = [...got, ...resumed.events().map((e) => e.seq as number)];
    expect(all).toEqual(Array.from({ length: count }, (_, i) => i + 1));
    for (const c of [talker, fast, resumed]) c.close();
  });
});
