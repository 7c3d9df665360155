import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import {
  ChatClient,
  type ChatStack,
  newId,
  type Replica,
  startChatStack,
} from "../../apps/chat/test/harness.ts";

/**
 * Chat as the stack configures it (infra/layers/apps.ts): one web origin, named both by CORS_ALLOWED_ORIGIN (the
 * HTTP history routes) and by CHAT_ALLOWED_ORIGINS (the socket). A real chat process with its shard databases,
 * redis-server and auth's JWKS.
 */
const APP = "https://meet.gomeet.test";
const OTHER = "https://evil.example";

let stack: ChatStack;
let replica: Replica;

beforeAll(async () => {
  stack = await startChatStack(inject("postgresAdminUrl"), "chat_cors");
  replica = await stack.startReplica({ CORS_ALLOWED_ORIGIN: APP, CHAT_ALLOWED_ORIGINS: APP });
}, 120_000);
afterAll(async () => {
  await stack?.stop();
});

function preflight(origin: string): RequestInit {
  return {
    method: "OPTIONS",
    headers: {
      origin,
      "access-control-request-method": "GET",
      "access-control-request-headers": "authorization",
    },
  };
}

async function refusal(url: string, origin?: string): Promise<{ status: number; refusal: string }> {
  try {
    const client = await ChatClient.connect(url, origin);
    client.close();
  } catch (error) {
    const e = error as { status?: number; refusal?: string };
    if (e.status) return { status: e.status, refusal: e.refusal ?? "" };
    throw error;
  }
  throw new Error("the upgrade was accepted");
}

describe("chat over HTTP: the history routes answer CORS for the web app's origin only", () => {
  it("answers the app's preflight and marks its answers; another origin's preflight is refused naming it", async () => {
    const user = await stack.user();
    const meetingId = newId();
    stack.members.set(meetingId, user.id, "attendee");

    for (const path of [`/v1/chat/meetings/${meetingId}/messages`, "/v1/chat/me/messages"]) {
      const pre = await replica.http(path, preflight(APP));
      expect(pre.status).toBe(204);
      expect(pre.headers.get("access-control-allow-origin")).toBe(APP);
      expect(pre.headers.get("access-control-allow-headers")).toBe("authorization, content-type");
      expect(pre.headers.get("access-control-allow-credentials")).toBeNull();

      const page = await replica.http(path, { headers: { origin: APP }, token: user.accessToken });
      expect(page.status).toBe(200);
      expect(page.headers.get("access-control-allow-origin")).toBe(APP);
      expect(page.headers.get("access-control-expose-headers")).toBe("Retry-After, Location, X-Request-Id");
      expect(((await page.json()) as { items: unknown[] }).items).toEqual([]);

      const otherPre = await replica.http(path, preflight(OTHER));
      expect(otherPre.status).toBe(403);
      const problem = (await otherPre.json()) as { code?: string; detail?: string };
      expect(problem.code).toBe("cors_refused");
      expect(problem.detail).toContain(OTHER);

      // A simple GET from another origin is answered without CORS headers: the browser withholds it.
      const otherGet = await replica.http(path, { headers: { origin: OTHER }, token: user.accessToken });
      expect(otherGet.headers.get("access-control-allow-origin")).toBeNull();
    }
  });

  it("errors from the app's origin carry CORS headers too, so the app can show them", async () => {
    const outsider = await stack.user();
    const res = await replica.http(`/v1/chat/meetings/${newId()}/messages`, {
      headers: { origin: APP },
      token: outsider.accessToken,
    });
    expect(res.status).toBe(403);
    expect(res.headers.get("access-control-allow-origin")).toBe(APP);
  });
});

describe("chat over WebSocket: only the web app's origin may open the socket", () => {
  it("refuses other origins before the ticket is spent; the app's origin then opens the socket with it", async () => {
    const user = await stack.user();
    const meetingId = newId();
    stack.members.set(meetingId, user.id, "attendee");
    const ticket = await stack.ticket(user, meetingId);
    const url = replica.wsUrl({ meetingId, ticket });

    expect(await refusal(url, OTHER)).toEqual({ status: 403, refusal: "origin_not_allowed" });
    // The harness's default origin is on no list of this replica either.
    expect(await refusal(url, "https://app.gomeet.test")).toEqual({
      status: 403,
      refusal: "origin_not_allowed",
    });

    const client = await ChatClient.connect(url, APP);
    await client.waitFor((f) => f.type === "synced" || f.type === "reload");
    client.sendMessage("hello from the app's origin");
    await client.waitFor((f) => f.type === "ack");
    client.close();
  });
});
