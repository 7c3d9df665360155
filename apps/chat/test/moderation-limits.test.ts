import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { shardIndex } from "../src/shards.ts";
import { ChatClient, type ChatStack, newId, type Replica, startChatStack } from "./harness.ts";

let stack: ChatStack;
let a: Replica;
let b: Replica;

beforeAll(async () => {
  stack = await startChatStack(inject("postgresAdminUrl"), "chat_moderation");
  const extra = { CHAT_RATE_MESSAGES: "5/60s", CHAT_RATE_SIGNALS: "3/60s", CHAT_MAX_MESSAGE_CHARS: "100" };
  [a, b] = await Promise.all([stack.startReplica(extra), stack.startReplica(extra)]);
});
afterAll(async () => {
  await stack?.stop();
});

async function meeting() {
  const meetingId = newId();
  const [host, guest] = await Promise.all([stack.user(), stack.user()]);
  stack.members.set(meetingId, host.id, "host");
  stack.members.set(meetingId, guest.id, "attendee");
  const hostSocket = await ChatClient.join(stack, a, host, meetingId);
  const guestSocket = await ChatClient.join(stack, b, guest, meetingId);
  return { meetingId, host, guest, hostSocket, guestSocket };
}

describe("moderation", () => {
  it("a host deletes a message: a tombstone reaches everyone, the text is gone from Postgres, the window and history", async () => {
    const { meetingId, guest, hostSocket, guestSocket } = await meeting();
    const id = guestSocket.sendMessage("regrettable");
    const ack = await guestSocket.waitFor((f) => f.type === "ack" && f.id === id);
    hostSocket.send({ type: "delete", id: "del-1", seq: ack.seq });
    for (const c of [hostSocket, guestSocket]) {
      expect(await c.waitFor((f) => f.type === "event" && f.kind === "delete")).toMatchObject({
        seq: 2,
        targetSeq: 1,
        by: { name: expect.any(String) },
      });
    }
    expect(await hostSocket.waitFor((f) => f.type === "ack" && f.id === "del-1")).toMatchObject({ seq: 2 });
    const sql = postgres(stack.shardUrls[shardIndex(meetingId, 2)]!, { max: 1 });
    try {
      const [row] =
        await sql`select body, deleted_at from chat_events where meeting_id = ${meetingId} and seq = 1`;
      expect(row!.body).toBeNull();
      expect(row!.deleted_at).toBeInstanceOf(Date);
    } finally {
      await sql.end();
    }
    // A resume from the window sees the tombstone, not the text.
    const late = await ChatClient.join(stack, a, guest, meetingId, 0);
    expect(late.events().map((e) => [e.seq, e.kind, e.text ?? null, e.deleted ?? false])).toEqual([
      [1, "message", null, true],
      [2, "delete", null, false],
    ]);
    const history = await a.http(`/v1/chat/meetings/${meetingId}/messages`, { token: guest.accessToken });
    expect(((await history.json()) as { items: unknown[] }).items).toEqual([
      expect.objectContaining({ seq: 1, text: null, deleted: true }),
    ]);
    // Deleting it again, or a seq that does not exist, is a not_found error frame.
    hostSocket.send({ type: "delete", id: "del-2", seq: 1 });
    expect(await hostSocket.waitFor((f) => f.type === "error" && f.id === "del-2")).toMatchObject({
      code: "not_found",
    });
    for (const c of [hostSocket, guestSocket, late]) c.close();
  });

  it("only hosts and co-hosts moderate; a muted participant is refused until unmuted", async () => {
    const { guest, hostSocket, guestSocket } = await meeting();
    guestSocket.send({ type: "mute", id: "g-mute", userId: guest.id });
    expect(await guestSocket.waitFor((f) => f.type === "error" && f.id === "g-mute")).toMatchObject({
      code: "forbidden",
    });
    hostSocket.send({ type: "mute", id: "mute-1", userId: guest.id });
    expect(await guestSocket.waitFor((f) => f.type === "event" && f.kind === "mute")).toMatchObject({
      userId: guest.id,
    });
    const refused = guestSocket.sendMessage("can you hear me");
    expect(await guestSocket.waitFor((f) => f.type === "error" && f.id === refused)).toMatchObject({
      code: "muted",
    });
    expect(guestSocket.closeCode).toBeUndefined();
    hostSocket.send({ type: "unmute", id: "unmute-1", userId: guest.id });
    await guestSocket.waitFor((f) => f.type === "event" && f.kind === "unmute");
    const allowed = guestSocket.sendMessage("back");
    expect(await guestSocket.waitFor((f) => f.type === "ack" && f.id === allowed)).toMatchObject({
      duplicate: false,
    });
    await hostSocket.waitFor((f) => f.type === "event" && f.kind === "message");
    expect(hostSocket.events().map((e) => e.kind)).toEqual(["mute", "unmute", "message"]);
    hostSocket.close();
    guestSocket.close();
  });
});

describe("limits", () => {
  it("answers an over-long message and a burst over the rate with error frames, keeping the socket open", async () => {
    const { guestSocket } = await meeting();
    const long = guestSocket.sendMessage("y".repeat(101));
    expect(await guestSocket.waitFor((f) => f.type === "error" && f.id === long)).toMatchObject({
      code: "too_large",
      message: "text: expected at most 100 characters, got 101",
    });
    const blank = guestSocket.sendMessage("   ");
    expect(await guestSocket.waitFor((f) => f.type === "error" && f.id === blank)).toMatchObject({
      code: "empty_message",
    });
    const ids = Array.from({ length: 7 }, (_, i) => guestSocket.sendMessage(`burst ${i}`));
    await guestSocket.waitForCount(
      (f) => (f.type === "ack" || f.type === "error") && ids.includes(f.id as string),
      7,
    );
    const outcome = ids.map(
      (id) => guestSocket.frames.find((f) => f.id === id && (f.type === "ack" || f.type === "error"))?.type,
    );
    expect(outcome).toEqual(["ack", "ack", "ack", "ack", "ack", "error", "error"]);
    const limited = guestSocket.frames.find((f) => f.type === "error" && f.id === ids[5]);
    expect(limited).toMatchObject({ code: "rate_limited", retryAfterMs: expect.any(Number) });
    // Signals have their own budget.
    for (let i = 0; i < 4; i++) guestSocket.send({ type: "react", emoji: "👍" });
    await guestSocket.waitFor((f) => f.type === "error" && f.code === "rate_limited" && f.id === undefined);
    await guestSocket.waitForCount((f) => f.type === "signal" && f.kind === "reaction", 3);
    await new Promise((r) => setTimeout(r, 200));
    expect(guestSocket.frames.filter((f) => f.type === "signal" && f.kind === "reaction")).toHaveLength(3);
    expect(guestSocket.closeCode).toBeUndefined();
    guestSocket.close();
  });

  it("closes a frame above the transport limit with 1009 (message too big)", async () => {
    const { guestSocket } = await meeting();
    guestSocket.send({ type: "send", id: "huge", text: "z".repeat(70_000) });
    await guestSocket.waitClosed();
    expect(guestSocket.closeCode).toBe(1009);
  });
});
