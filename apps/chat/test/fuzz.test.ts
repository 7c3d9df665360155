import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { parseClientFrame } from "../src/protocol.ts";
import { ChatClient, type ChatStack, newId, type Replica, startChatStack } from "./harness.ts";

let stack: ChatStack;
let replica: Replica;

beforeAll(async () => {
  stack = await startChatStack(inject("postgresAdminUrl"), "chat_fuzz");
  replica = await stack.startReplica();
});
afterAll(async () => {
  await stack?.stop();
});

/** Frames that look almost right: real types with wrong fields, wrong versions, junk values. */
const nearMiss = fc.record(
  {
    v: fc.oneof(fc.constant(1), fc.constant(2), fc.string(), fc.constant(null)),
    type: fc.oneof(
      fc.constantFrom("send", "delete", "mute", "unmute", "hand", "react", "ack", "__proto__"),
      fc.string(),
    ),
    id: fc.oneof(fc.string({ maxLength: 80 }), fc.integer(), fc.constant(null)),
    text: fc.oneof(fc.string(), fc.integer(), fc.constant({})),
    seq: fc.oneof(fc.integer(), fc.double(), fc.string()),
    userId: fc.oneof(fc.uuid(), fc.string()),
    raised: fc.oneof(fc.boolean(), fc.string()),
    emoji: fc.oneof(fc.constantFrom("👍", "💩"), fc.string()),
  },
  { requiredKeys: [] },
);

const junk = fc.oneof(
  fc.string(),
  fc.json(),
  nearMiss.map((f) => JSON.stringify(f)),
  fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
  fc.constant("{".repeat(5000)),
  fc.constant('{"v":1,"type":"send","id":"x","text":"\\ud800"}'),
);

describe("malformed frames", () => {
  it("the parser never throws and names a field or the frame", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.json(),
          nearMiss.map((f) => JSON.stringify(f)),
        ),
        (text) => {
          const parsed = parseClientFrame(text);
          if (!parsed.ok) expect(parsed.message).toMatch(/^[\w.]+: |^frame/);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("a live socket answers every malformed frame with a protocol error and keeps serving", async () => {
    const meetingId = newId();
    const user = await stack.user();
    const peer = await stack.user();
    stack.members.set(meetingId, user.id, "attendee");
    stack.members.set(meetingId, peer.id, "attendee");
    const client = await ChatClient.join(stack, replica, user, meetingId);
    const watcher = await ChatClient.join(stack, replica, peer, meetingId);
    const samples = fc.sample(junk, { numRuns: 400, seed: 8 });
    let expectedErrors = 0;
    for (const sample of samples) {
      const text = typeof sample === "string" ? sample : undefined;
      if (text !== undefined && parseClientFrame(text).ok) continue;
      client.socket.send(sample);
      expectedErrors++;
    }
    const errors = await client.waitForCount((f) => f.type === "error", expectedErrors, 30_000);
    for (const e of errors) expect(["malformed_frame", "invalid_frame"]).toContain(e.code);
    expect(client.closeCode).toBeUndefined();
    // Still serving: a valid message goes through and reaches the other participant.
    const id = client.sendMessage("still here");
    await client.waitFor((f) => f.type === "ack" && f.id === id);
    expect(await watcher.waitFor((f) => f.type === "event")).toMatchObject({ text: "still here" });
    expect((await replica.http("/healthz")).status).toBe(200);
    expect(replica.child.exitCode).toBeNull();
    client.close();
    watcher.close();
  });
});
