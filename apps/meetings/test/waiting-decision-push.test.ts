import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createLogger, MeetingEventFeed } from "../../shared/src/index.ts";
import { createMeetingsApp } from "../src/app.ts";
import {
  addMember,
  type MeetingsHarness,
  scheduleMeeting,
  startMeetingsHarness,
  type User,
} from "./harness.ts";

/**
 * Waiting-room decisions pushed over Server-Sent Events to a real HTTP client, from a second replica that only
 * hears the decision through the Redis stream (the moderator's call lands on the first).
 */
let h: MeetingsHarness;
let host: User;
let replicaB: { url: string; feed: MeetingEventFeed; close(): Promise<void> };
beforeAll(async () => {
  h = await startMeetingsHarness(inject("postgresAdminUrl"), "meetings_waiting_push");
  host = await h.user();
  const feed = new MeetingEventFeed();
  await feed.follow({ connection: h.redis.duplicate() }).start();
  const service = createMeetingsApp({
    sql: h.db.sql,
    redis: h.redis,
    config: h.config,
    logger: createLogger({ service: "meetings", level: "error", sink: () => undefined }),
    meetingEvents: feed,
  });
  const server = serve({ fetch: service.app.fetch, port: 0, hostname: "127.0.0.1" });
  await new Promise((resolve) => server.once("listening", resolve));
  const ready = await service.app.request("/readyz");
  expect(await ready.json()).toMatchObject({
    status: "ok",
    checks: { meeting_events: "ok", lua_scripting: "ok" },
  });
  replicaB = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    feed,
    async close() {
      (server as Server).closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await feed.stop();
    },
  };
});
afterAll(async () => {
  await replicaB?.close();
  await h.stop();
});

interface SseEvent {
  event: string;
  data: unknown;
  at: number;
}

/** A Server-Sent Events client over fetch (the web app's way: it can send the Authorization header). */
class DecisionStream {
  readonly events: SseEvent[] = [];
  ended = false;
  private waiters: (() => void)[] = [];

  private constructor(
    readonly status: number,
    readonly contentType: string | null,
    private readonly controller: AbortController,
  ) {}

  static async open(baseUrl: string, meetingId: string, user: User): Promise<DecisionStream> {
    const controller = new AbortController();
    const response = await fetch(`${baseUrl}/v1/meetings/${meetingId}/join/decision`, {
      headers: { authorization: `Bearer ${user.token}`, accept: "text/event-stream" },
      signal: controller.signal,
    });
    const stream = new DecisionStream(response.status, response.headers.get("content-type"), controller);
    if (response.ok && response.body) void stream.read(response.body);
    else {
      stream.events.push({ event: "problem", data: await response.json(), at: Date.now() });
      stream.ended = true;
    }
    return stream;
  }

  private async read(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = "";
    try {
      for await (const chunk of body) {
        buffer += decoder.decode(chunk, { stream: true });
        for (let cut = buffer.indexOf("\n\n"); cut >= 0; cut = buffer.indexOf("\n\n")) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const lines = block.split("\n").filter((line) => !line.startsWith(":"));
          const event = lines
            .find((l) => l.startsWith("event:"))
            ?.slice(6)
            .trim();
          const data = lines
            .find((l) => l.startsWith("data:"))
            ?.slice(5)
            .trim();
          if (event && data !== undefined)
            this.events.push({ event, data: JSON.parse(data), at: Date.now() });
          this.wake();
        }
      }
    } catch {
      // aborted by close()
    }
    this.ended = true;
    this.wake();
  }

  private wake(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }

  async next(count: number, timeoutMs = 10_000): Promise<SseEvent[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.events.length < count && !this.ended) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`only ${JSON.stringify(this.events)} within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.events;
  }

  async untilEnded(timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.ended) {
      if (Date.now() > deadline) throw new Error("the stream did not end");
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  close(): void {
    this.controller.abort();
  }
}

async function waitingAttendee(): Promise<{ meetingId: string; attendee: User }> {
  const meeting = await scheduleMeeting(h, host, { settings: { waitingRoom: true } });
  const attendee = await h.user();
  await addMember(h, meeting.id, host, attendee);
  const knock = await h.request(`/v1/meetings/${meeting.id}/join`, { method: "POST", user: attendee });
  expect(knock.status).toBe(202);
  return { meetingId: meeting.id, attendee };
}

const decide = (meetingId: string, attendee: User, verb: string) =>
  h.request(`/v1/meetings/${meetingId}/waiting/${attendee.id}/${verb}`, { method: "POST", user: host });

describe("the waiting client hears the decision as it is taken", () => {
  it("admit: `waiting` first, then `admitted` pushed from another replica", async () => {
    const { meetingId, attendee } = await waitingAttendee();
    const stream = await DecisionStream.open(replicaB.url, meetingId, attendee);
    expect(stream.status).toBe(200);
    expect(stream.contentType).toContain("text/event-stream");
    expect((await stream.next(1))[0]).toMatchObject({ event: "decision", data: { status: "waiting" } });

    const decidedAt = Date.now();
    expect((await decide(meetingId, attendee, "admit")).status).toBe(200);
    const [, pushed] = await stream.next(2);
    expect(pushed).toMatchObject({ event: "decision", data: { status: "admitted" } });
    const delayMs = (pushed?.at ?? 0) - decidedAt;
    console.log(`waiting-room decision pushed across replicas ${delayMs} ms after the admit answered`);
    expect(delayMs).toBeLessThan(1_000);
    await stream.untilEnded();
  });

  it("deny is pushed the same way and ends the stream", async () => {
    const { meetingId, attendee } = await waitingAttendee();
    const stream = await DecisionStream.open(replicaB.url, meetingId, attendee);
    await stream.next(1);
    expect((await decide(meetingId, attendee, "deny")).status).toBe(200);
    expect((await stream.next(2))[1]).toMatchObject({ event: "decision", data: { status: "denied" } });
    await stream.untilEnded();
  });

  it("a decision taken before the stream opened is answered at once; polling the join still works", async () => {
    const { meetingId, attendee } = await waitingAttendee();
    expect((await decide(meetingId, attendee, "deny")).status).toBe(200);
    const stream = await DecisionStream.open(h.baseUrl, meetingId, attendee);
    expect(await stream.next(1)).toMatchObject([{ event: "decision", data: { status: "denied" } }]);
    await stream.untilEnded();
    const polled = await h.request(`/v1/meetings/${meetingId}/join`, { method: "POST", user: attendee });
    expect(polled.status).toBe(403);
  });

  it("answers 404 to a member who never knocked, naming the join to call first", async () => {
    const meeting = await scheduleMeeting(h, host, { settings: { waitingRoom: true } });
    const member = await h.user();
    await addMember(h, meeting.id, host, member);
    const stream = await DecisionStream.open(h.baseUrl, meeting.id, member);
    expect(stream.status).toBe(404);
    expect(stream.events[0]?.data).toMatchObject({
      code: "waiting_entry_not_found",
      detail: expect.stringContaining(`POST /v1/meetings/${meeting.id}/join first`),
    });
  });
});
