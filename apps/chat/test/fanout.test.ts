import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { shardIndex } from "../src/shards.ts";
import { ChatClient, type ChatStack, type Frame, newId, type Replica, startChatStack } from "./harness.ts";

let stack: ChatStack;
let a: Replica;
let b: Replica;

beforeAll(async () => {
  stack = await startChatStack(inject("postgresAdminUrl"), "chat_fanout");
  [a, b] = await Promise.all([stack.startReplica(), stack.startReplica()]);
});
afterAll(async () => {
  await stack?.stop();
});

async function storedCount(meetingId: string): Promise<number> {
  const sql = postgres(stack.shardUrls[shardIndex(meetingId, 2)]!, { max: 1 });
  try {
    const [row] = await sql<
      { n: number }[]
    >`select count(*)::int as n from chat_events where meeting_id = ${meetingId}`;
    return row!.n;
  } finally {
    await sql.end();
  }
}

describe("fan-out across two replicas", () => {
  it("delivers every message to every participant on either replica exactly once, in sequence order", async () => {
    const meetingId = newId();
    const users = await Promise.all(Array.from({ length: 6 }, () => stack.user()));
    for (const u of users) stack.members.set(meetingId, u.id, "attendee");
    const clients = await Promise.all(
      users.map((u, i) => ChatClient.join(stack, i % 2 === 0 ? a : b, u, meetingId)),
    );
    const perSender = 40;
    const sent = clients.map((c) => Array.from({ length: perSender }, (_, i) => c.sendMessage(`msg ${i}`)));
    const total = perSender * clients.length;

    for (const [i, client] of clients.entries()) {
      const events = await client.waitForCount((f) => f.type === "event", total);
      expect(events.map((e) => e.seq)).toEqual(Array.from({ length: total }, (_, k) => k + 1));
      const acks = await client.waitForCount((f) => f.type === "ack", perSender);
      expect(acks.map((f) => f.id)).toEqual(sent[i]);
      // A sender's messages keep its sending order in the meeting's sequence.
      const mySeqs = acks.map((f) => f.seq as number);
      expect([...mySeqs].sort((x, y) => x - y)).toEqual(mySeqs);
      expect(
        events.filter((e) => (e.from as { userId: string }).userId === users[i]!.id).map((e) => e.text),
      ).toEqual(Array.from({ length: perSender }, (_, k) => `msg ${k}`));
    }
    // Nothing more arrives later (no duplicates from the other replica or the gap repair).
    await new Promise((r) => setTimeout(r, 300));
    for (const client of clients) expect(client.events().length).toBe(total);
    expect(await storedCount(meetingId)).toBe(total);
    for (const c of clients) c.close();
  });

  it("acknowledges a repeated client message id with the first seq and stores it once", async () => {
    const meetingId = newId();
    const [alice, bob] = await Promise.all([stack.user(), stack.user()]);
    stack.members.set(meetingId, alice.id, "attendee");
    stack.members.set(meetingId, bob.id, "attendee");
    const onA = await ChatClient.join(stack, a, alice, meetingId);
    const onB = await ChatClient.join(stack, b, bob, meetingId);
    const id = onA.sendMessage("hello once");
    const first = await onA.waitFor((f) => f.type === "ack" && f.id === id);
    expect(first).toMatchObject({ seq: 1, duplicate: false });
    // The same id again, also from a second socket of the same user on the other replica (a retry elsewhere).
    onA.sendMessage("hello once", id);
    const again = await ChatClient.join(stack, b, alice, meetingId);
    again.sendMessage("hello once", id);
    const dupA = await onA.waitForCount((f) => f.type === "ack" && f.id === id, 2);
    const dupB = await again.waitFor((f) => f.type === "ack" && f.id === id);
    expect(dupA[1]).toMatchObject({ seq: 1, duplicate: true });
    expect(dupB).toMatchObject({ seq: 1, duplicate: true });
    onA.sendMessage("next");
    await onB.waitForCount((f) => f.type === "event", 2);
    expect(onB.events().map((e) => [e.seq, e.text])).toEqual([
      [1, "hello once"],
      [2, "next"],
    ]);
    expect(await storedCount(meetingId)).toBe(2);
    for (const c of [onA, onB, again]) c.close();
  });

  it("routes presence, raised hands and reactions to both replicas without storing them", async () => {
    const meetingId = newId();
    const [alice, bob] = await Promise.all([stack.user(), stack.user()]);
    stack.members.set(meetingId, alice.id, "host");
    stack.members.set(meetingId, bob.id, "attendee");
    const onA = await ChatClient.join(stack, a, alice, meetingId);
    expect(onA.frames[0]).toMatchObject({
      type: "welcome",
      participants: 1,
      you: { userId: alice.id, role: "host" },
    });
    const onB = await ChatClient.join(stack, b, bob, meetingId);
    const joined = await onA.waitFor(
      (f) =>
        f.type === "signal" &&
        f.kind === "presence" &&
        f.action === "join" &&
        (f.user as { userId: string }).userId === bob.id,
    );
    expect(joined).toMatchObject({ user: { userId: bob.id }, count: 2 });
    onB.send({ type: "hand", raised: true });
    onA.send({ type: "react", emoji: "🎉" });
    const isHand = (f: Frame) => f.type === "signal" && f.kind === "hand";
    const isReaction = (f: Frame) => f.type === "signal" && f.kind === "reaction";
    for (const c of [onA, onB]) {
      expect(await c.waitFor(isHand)).toMatchObject({ user: { userId: bob.id }, raised: true });
      expect(await c.waitFor(isReaction)).toMatchObject({ user: { userId: alice.id }, emoji: "🎉" });
    }
    onB.close();
    const left = await onA.waitFor(
      (f) => f.type === "signal" && f.kind === "presence" && f.action === "leave",
    );
    expect(left).toMatchObject({ user: { userId: bob.id }, count: 1 });
    expect(await storedCount(meetingId)).toBe(0);
    onA.close();
  });
});
