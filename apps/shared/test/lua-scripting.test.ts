import { randomBytes } from "node:crypto";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RedisServer, useTestRedis } from "../../../test/support/redis.ts";
import {
  createApp,
  createLogger,
  createRateLimiter,
  createRedis,
  luaScriptingReadiness,
  redisReady,
  SCRIPTING_RUNBOOK,
} from "../src/index.ts";

let server: RedisServer;
let admin: Redis;
const clients: Redis[] = [];
beforeAll(async () => {
  server = await useTestRedis();
  admin = createRedis({ url: server.url });
  await redisReady(admin);
});
afterAll(async () => {
  for (const client of [admin, ...clients]) client.disconnect();
  await server.stop();
});

/** A Redis user with every command except `denied` (ACL categories or commands), as a managed offering may be. */
async function connectAs(denied: string[]): Promise<Redis> {
  const name = `restricted-${randomBytes(4).toString("hex")}`;
  const password = randomBytes(12).toString("hex");
  await admin.call("ACL", "SETUSER", name, "on", `>${password}`, "~*", "&*", "+@all", ...denied);
  const url = new URL(server.url);
  url.username = name;
  url.password = password;
  const client = createRedis({ url: url.toString() });
  clients.push(client);
  await redisReady(client);
  return client;
}

function readyz(redis: Redis) {
  createRateLimiter({ redis, name: "probe", rule: { limit: 5, windowSeconds: 60 }, prefix: "kit-test" });
  const service = createApp({
    service: "kit-test",
    logger: createLogger({ service: "kit-test", level: "error", sink: () => undefined }),
    readiness: [{ name: "redis", check: () => redis.ping() }, luaScriptingReadiness(redis)],
  });
  return service.app.request("/readyz");
}

describe("/readyz checks that Redis runs the service's Lua scripts", () => {
  it("is ready when scripting is allowed", async () => {
    const response = await readyz(await connectAs([]));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok", checks: { redis: "ok", lua_scripting: "ok" } });
  });

  it("fails naming the refused command and the runbook step when the scripting category is denied", async () => {
    const response = await readyz(await connectAs(["-@scripting"]));
    expect(response.status).toBe(503);
    const body = (await response.json()) as { checks: Record<string, string> };
    expect(body.checks.redis).toBe("ok");
    expect(body.checks.lua_scripting).toMatch(
      /^unavailable: Redis refuses Lua scripting \(SCRIPT LOAD of gomeetGcra: NOPERM .*script.*\); this service needs EVAL, EVALSHA and SCRIPT LOAD — see docs\/runbooks\/deploy\.md#valkey-lua-scripting$/i,
    );
    expect(body.checks.lua_scripting).toContain(SCRIPTING_RUNBOOK);
  });

  it("fails on EVALSHA when scripts load but may not run by hash", async () => {
    const response = await readyz(await connectAs(["-evalsha"]));
    expect(response.status).toBe(503);
    const body = (await response.json()) as { checks: Record<string, string> };
    expect(body.checks.lua_scripting).toMatch(/^unavailable: Redis refuses Lua scripting \(EVALSHA: NOPERM/);
  });
});
