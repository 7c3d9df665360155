import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { shardIndex } from "../src/shards.ts";
import { ChatClient, type ChatStack, newId, type Replica, startChatStack } from "./harness.ts";

/**
 * Group commit seen from the socket, on two replicas: senders at once on both are each acked after their
 * message is durable, and a batch whose COMMIT fails answers every message in it with an error, never an ack.
 * The failure comes from a deferred constraint trigger, which PostgreSQL runs at COMMIT.
 */
const FAULT = `
create function chat_test_commit_fault() returns trigger language plpgsql as $$
begin
  if new.body = 'refused at commit' then raise exception 'commit refused by the test trigger'; end if;
  return null;
end $$;
create constraint trigger chat_test_commit_fault after insert on chat_events
  deferrable initially deferred for each row execute function chat_test_commit_fault();`;

let stack: ChatStack;
let replicas: Replica[];

beforeAll(async () => {
  stack = await startChatStack(inject("postgresAdminUrl"), "chat_batched");
  for (const url of stack.shardUrls) {
    const sql = postgres(url, { max: 1, onnotice: () => undefined });
    await sql.unsafe(FAULT);
    await sql.end();
  }
  // A long window on both replicas, so the messages sent together below share one transaction.
  replicas = [
    await stack.startReplica({ CHAT_COMMIT_WINDOW_MS: "200" }),
    await stack.startReplica({ CHAT_COMMIT_WINDOW_MS: "200" }),
  ];
});
afterAll(async () => {
  await stack?.stop();
});

async function storedLog(meetingId: string): Promise<Array<{ id: string; seq: number }>> {
  const sql = postgres(stack.shardUrls[shardIndex(meetingId, 2)]!, { max: 1, onnotice: () => undefined });
  try {
    return await sql<{ id: string; seq: number }[]>`
      select client_msg_id as id, seq::int as seq from chat_events where meeting_id = ${meetingId} order by seq`;
  } finally {
    await sql.end();
  }
}

async function participants(meetingId: string, count: number): Promise<ChatClient[]> {
  return await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const user = await stack.user();
      stack.members.set(meetingId, user.id, "attendee");
      return await ChatClient.join(stack, replicas[i % replicas.length]!, user, meetingId);
    }),
  );
}

describe("batched sends over the socket", () => {
  it("twelve senders on two replicas at once: all acked with their stored seq, in order, delivered once to everyone", async () => {
    const meetingId = newId();
    const clients = await participants(meetingId, 12);
    const sent = clients.map((c) => Array.from({ length: 8 }, (_, i) => c.sendMessage(`message ${i}`)));
    for (const client of clients) await client.waitForCount((f) => f.type === "ack", 8, 30_000);
    const log = await storedLog(meetingId);
    expect(log.map((r) => r.seq)).toEqual(Array.from({ length: 96 }, (_, i) => i + 1));
    const seqOf = new Map(log.map((r) => [r.id, r.seq]));
    clients.forEach((client, c) => {
      const acks = client.frames.filter((f) => f.type === "ack");
      // Acks come in sending order, each with the seq its message is stored under.
      expect(acks.map((a) => a.id)).toEqual(sent[c]);
      for (const ack of acks)
        expect(ack).toMatchObject({ seq: seqOf.get(ack.id as string), duplicate: false });
    });
    for (const client of clients) {
      const events = await client.waitForCount((f) => f.type === "event", 96, 30_000);
      expect(events.map((e) => e.seq)).toEqual(log.map((r) => r.seq));
    }
    for (const client of clients) client.close();
  });

  it("a commit that fails answers every message of its batch with `unavailable` and acks none", async () => {
    const meetingId = newId();
    const clients = await participants(meetingId, 4);
    const onOneReplica = clients.filter((_, i) => i % replicas.length === 0);
    const texts = ["first", "refused at commit"];
    const ids = onOneReplica.map((client, i) => client.sendMessage(texts[i]!));
    for (const [i, client] of onOneReplica.entries()) {
      const error = await client.waitFor((f) => f.type === "error");
      expect(error).toMatchObject({
        code: "unavailable",
        id: ids[i],
        message: "the message could not be stored (its batch was not committed): send it again",
      });
      expect(client.frames.some((f) => f.type === "ack")).toBe(false);
    }
    expect(await storedLog(meetingId)).toEqual([]);
    // Sent again without the refused text, the first message is stored as seq 1: no hole was left.
    onOneReplica[0]!.sendMessage("first", ids[0]);
    expect(await onOneReplica[0]!.waitFor((f) => f.type === "ack")).toMatchObject({ id: ids[0], seq: 1 });
    for (const client of clients) client.close();
  });
});
