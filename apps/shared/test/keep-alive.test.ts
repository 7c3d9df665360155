import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp, createLogger, type RunningServer, startServer } from "../src/index.ts";
import { KeepAliveClient } from "./keep-alive-client.ts";

let server: RunningServer;
let client: KeepAliveClient;
beforeAll(async () => {
  const service = createApp({
    service: "kit-test",
    logger: createLogger({ service: "kit-test", level: "error" }),
    bodyLimitBytes: 1024,
  });
  service.app.post("/echo", async (c) => c.json({ length: (await c.req.text()).length }));
  service.app.post("/refuse-early", (c) => c.json({ refused: true }, 401));
  // Response.redirect's headers are immutable; the app's answer must still be able to say Connection: close.
  service.app.post("/moved", () => Response.redirect("http://127.0.0.1/elsewhere", 303));
  server = await startServer({ service, port: 0, host: "127.0.0.1", drainMs: 1_000 });
  client = new KeepAliveClient(`http://127.0.0.1:${server.port}`);
});
afterAll(async () => {
  client.close();
  await server.shutdown("test over");
});

describe("early answers on a keep-alive connection", () => {
  // 2 MB is more than the Node adapter drains in its grace period, so the socket would be dropped after a
  // 413 that promised keep-alive.
  const oversized = JSON.stringify({ text: "x".repeat(2 * 1024 * 1024) });

  it("a 413 says Connection: close, and the next request on the same client is answered", async () => {
    for (let round = 0; round < 3; round++) {
      const rejected = await client.send("POST", "/echo", oversized);
      expect(rejected.status).toBe(413);
      expect(rejected.connection).toBe("close");
      expect(JSON.parse(rejected.body)).toMatchObject({ code: "body_too_large" });
      const normal = await client.send("POST", "/echo", JSON.stringify({ text: "hi" }));
      expect(normal).toMatchObject({ status: 200, connection: "keep-alive" });
      expect(normal.socketId).not.toBe(rejected.socketId);
    }
  });

  it("an answer that never read the body says Connection: close; one that read it keeps the socket", async () => {
    const refused = await client.send("POST", "/refuse-early", JSON.stringify({ text: "y".repeat(900) }));
    expect(refused).toMatchObject({ status: 401, connection: "close" });
    const first = await client.send("POST", "/echo", JSON.stringify({ text: "a" }));
    const second = await client.send("POST", "/echo", JSON.stringify({ text: "b" }));
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(second.connection).toBe("keep-alive");
    expect(second.socketId).toBe(first.socketId);
    const moved = await client.send("POST", "/moved", JSON.stringify({ text: "z" }));
    expect(moved).toMatchObject({ status: 303, connection: "close" });
    const get = await client.send("GET", "/healthz");
    expect(get).toMatchObject({ status: 200, connection: "keep-alive" });
  });
});
