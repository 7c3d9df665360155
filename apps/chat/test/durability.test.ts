import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { waitFor } from "../../../test/support/processes.ts";
import { shardIndex } from "../src/shards.ts";
import { ChatClient, type ChatStack, newId, type Replica, startChatStack } from "./harness.ts";

let stack: ChatStack;
let survivor: Replica;

beforeAll(async () => {
  stack = await startChatStack(inject("postgresAdminUrl"), "chat_durability");
  survivor = await stack.startReplica();
});
afterAll(async () => {
  await stack?.stop();
});

function shardOf(meetingId: string) {
  return postgres(stack.shardUrls[shardIndex(meetingId, 2)]!, { max: 2, onnotice: () => undefined });
}

async function stored(meetingId: string): Promise<Map<string, number>> {
  const sql = shardOf(meetingId);
  try {
    const rows = await sql<{ id: string; seq: number }[]>`
      select client_msg_id as id, seq::int as seq from chat_events where meeting_id = ${meetingId} order by seq`;
    return new Map(rows.map((r) => [r.id, r.seq]));
  } finally {
    await sql.end();
  }
}

function acked(client: ChatClient): Map<string, number> {
  return new Map(client.frames.filter((f) => f.type === "ack").map((f) => [f.id as string, f.seq as number]));
}

async function exited(replica: Replica): Promise<{ code: number | null; signal: string | null }> {
  const { child } = replica;
  if (child.exitCode !== null || child.signalCode !== null)
    return { code: child.exitCode, signal: child.signalCode };
  return await new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
}

/** Resends every id to the surviving replica; each must be acked, and the log must hold each exactly once. */
async function resendAndCheck(
  meetingId: string,
  user: Awaited<ReturnType<ChatStack["user"]>>,
  ids: string[],
) {
  const retry = await ChatClient.join(stack, survivor, user, meetingId);
  for (const id of ids) retry.sendMessage(`text of ${id}`, id);
  await retry.waitForCount((f) => f.type === "ack", ids.length, 30_000);
  const log = await stored(meetingId);
  expect(new Set(log.keys())).toEqual(new Set(ids));
  expect([...log.values()]).toEqual(Array.from({ length: ids.length }, (_, i) => i + 1));
  for (const [id, seq] of acked(retry)) expect(log.get(id)).toBe(seq);
  retry.close();
}

describe("ack after durable", () => {
  it("a replica killed while the insert waits is neither acked nor stored; the retry elsewhere stores it once", async () => {
    const meetingId = newId();
    const user = await stack.user();
    stack.members.set(meetingId, user.id, "attendee");
    const victim = await stack.startReplica();
    const client = await ChatClient.join(stack, victim, user, meetingId);
    const first = client.sendMessage("before");
    await client.waitFor((f) => f.type === "ack" && f.id === first);

    const blocker = shardOf(meetingId);
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let locked!: () => void;
    const lockTaken = new Promise<void>((resolve) => {
      locked = resolve;
    });
    const locking = blocker.begin(async (tx) => {
      await tx`select * from chat_meetings where meeting_id = ${meetingId} for update`;
      locked();
      await held;
    });
    await lockTaken;
    const second = client.sendMessage("in flight");
    await waitFor("the replica's insert to wait on the row lock", async () => {
      const rows = await blocker`
        select 1 from pg_stat_activity where application_name like 'gomeet-chat-s%' and wait_event_type = 'Lock'`;
      return rows.length > 0;
    });
    victim.child.kill("SIGKILL");
    expect(await exited(victim)).toEqual({ code: null, signal: "SIGKILL" });
    release();
    await locking;
    await waitFor("the killed replica's transaction to end", async () => {
      const rows = await blocker`
        select 1 from pg_stat_activity where application_name like 'gomeet-chat-s%' and state like 'idle in transaction%'`;
      return rows.length === 0;
    });
    await blocker.end();
    expect(acked(client).has(second)).toBe(false);
    expect([...(await stored(meetingId)).keys()]).toEqual([first]);
    await resendAndCheck(meetingId, user, [first, second]);
  });

  it("a replica killed mid-stream: every acked message is stored with its acked seq; retries fill the rest exactly once", async () => {
    const meetingId = newId();
    const user = await stack.user();
    stack.members.set(meetingId, user.id, "attendee");
    const victim = await stack.startReplica();
    const client = await ChatClient.join(stack, victim, user, meetingId);
    const ids = Array.from({ length: 300 }, (_, i) => client.sendMessage(`m${i}`));
    await client.waitForCount((f) => f.type === "ack", 40, 30_000);
    victim.child.kill("SIGKILL");
    await exited(victim);
    await client.waitClosed();
    const acks = acked(client);
    const log = await stored(meetingId);
    expect(acks.size).toBeGreaterThanOrEqual(40);
    expect(acks.size).toBeLessThan(300);
    for (const [id, seq] of acks) expect(log.get(id)).toBe(seq);
    expect(log.size).toBeGreaterThanOrEqual(acks.size);
    await resendAndCheck(meetingId, user, ids);
  });
});

describe("graceful shutdown", () => {
  it("on SIGTERM finishes the frames it took, acks them, tells clients to reconnect and exits 0", async () => {
    const meetingId = newId();
    const [user, watcher] = [await stack.user(), await stack.user()];
    stack.members.set(meetingId, user.id, "attendee");
    stack.members.set(meetingId, watcher.id, "attendee");
    const leaving = await stack.startReplica();
    const client = await ChatClient.join(stack, leaving, user, meetingId);
    const elsewhere = await ChatClient.join(stack, survivor, watcher, meetingId);
    const ids = Array.from({ length: 200 }, (_, i) => client.sendMessage(`g${i}`));
    await client.waitForCount((f) => f.type === "ack", 10);
    leaving.child.kill("SIGTERM");
    await client.waitClosed(15_000);
    expect(await exited(leaving)).toEqual({ code: 0, signal: null });
    expect(client.closeCode).toBe(1012);
    const reconnect = client.frames.findIndex((f) => f.type === "reconnect");
    expect(client.frames[reconnect]).toMatchObject({ reason: "shutdown" });
    // Nothing follows the reconnect frame, and every acked message is stored with its seq.
    expect(client.frames.slice(reconnect + 1)).toEqual([]);
    const acks = acked(client);
    const log = await stored(meetingId);
    for (const [id, seq] of acks) expect(log.get(id)).toBe(seq);
    // Frames that arrived after draining began were refused with `draining`, not silently dropped.
    for (const f of client.frames.filter((f) => f.type === "error")) expect(f.code).toBe("draining");
    // The participant on the other replica saw every stored message, in order.
    await elsewhere.waitForCount((f) => f.type === "event", log.size);
    expect(elsewhere.events().map((e) => e.seq)).toEqual([...log.values()]);
    elsewhere.close();
    await resendAndCheck(meetingId, user, ids);
  });
});
