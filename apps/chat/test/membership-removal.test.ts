import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MembershipClient } from "../src/membership.ts";

/**
 * A removal announced by meetings beats chat's membership cache, also when a lookup was already on its way:
 * meetings (a loopback stand-in with the documented contract) still says "member" slowly, as it would for a
 * request that reached it just before the removal committed.
 */
let server: Server;
let baseUrl: string;
let answerDelayMs = 0;
let requests = 0;
beforeAll(async () => {
  server = createServer((_req, res) => {
    requests += 1;
    setTimeout(
      () => res.writeHead(200, { "content-type": "application/json" }).end('{"role":"attendee"}'),
      answerDelayMs,
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

const meetingId = "7f1d2a8e-4b1c-4c47-9a51-0f5e8f2b6a10";
const userId = "2b0c8f3e-9d4a-4e6b-8f1a-6c3d5e7f9a21";

describe("MembershipClient and removals", () => {
  it("drops a cached member at once and answers not-a-member without asking meetings", async () => {
    const client = new MembershipClient(baseUrl, 10_000);
    answerDelayMs = 0;
    expect(await client.lookup(meetingId, userId)).toEqual({ member: true, role: "attendee" });
    const asked = requests;
    client.markRemoved(meetingId, userId);
    expect(await client.lookup(meetingId, userId)).toEqual({ member: false });
    expect(requests).toBe(asked);
    expect(client.wasRemoved(meetingId, userId)).toBe(true);
  });

  it("a lookup in flight when the removal is announced neither admits nor caches the member", async () => {
    const client = new MembershipClient(baseUrl, 10_000);
    const other = "5d6e7f80-1a2b-4c3d-8e9f-a0b1c2d3e4f5";
    answerDelayMs = 200;
    const inFlight = client.lookup(meetingId, other);
    await new Promise((r) => setTimeout(r, 50));
    client.markRemoved(meetingId, other);
    expect(await inFlight).toEqual({ member: false });
    answerDelayMs = 0;
    expect(await client.lookup(meetingId, other)).toEqual({ member: false });
  });
});
