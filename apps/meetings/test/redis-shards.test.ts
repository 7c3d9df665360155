import { afterAll, beforeAll, expect, inject, it } from "vitest";
import { waitFor } from "../../../test/support/processes.ts";
import { type RedisServer, startRedis } from "../../../test/support/redis.ts";
import { shardIndex } from "../../shared/src/index.ts";
import { readMeetingsEnv } from "../src/config.ts";
import { mainRoomName } from "../src/meetings-store.ts";
import { type MeetingsHarness, scheduleMeeting, startMeetingsHarness, type User } from "./harness.ts";

/**
 * Meetings' per-meeting keys routed by meeting id over two real redis-servers (shard 0 is the harness's own, as
 * REDIS_URL is shard 0 in the stack; shard 1 is started here so it can be stopped and started on its port):
 * every key of a meeting on its shard only, and a stopped shard refuses only its meetings' joins, with 503.
 */
let second: RedisServer;

let h: MeetingsHarness;
let host: User;
/** Meetings by the shard their id hashes to. */
const byShard: [string[], string[]] = [[], []];

beforeAll(async () => {
  second = await startRedis();
  h = await startMeetingsHarness(inject("postgresAdminUrl"), "meetings_shards", {
    liveKitNodes: 1,
    extraShardUrls: [second.url],
  });
  host = await h.user();
  // Meeting ids are random UUIDs: schedule until both shards hold three (bounded; each shard is 1/2 likely).
  for (let i = 0; i < 40 && (byShard[0].length < 3 || byShard[1].length < 3); i++) {
    const { id } = await scheduleMeeting(h, host, { capacity: 5 });
    byShard[shardIndex(id, 2) as 0 | 1].push(id);
  }
});
afterAll(async () => {
  await h?.stop();
  await second?.stop();
});

const join = (meetingId: string) =>
  h.request(`/v1/meetings/${meetingId}/join`, { method: "POST", user: host });

/** Every key on a shard that names the meeting. */
const keysOf = (shard: number, meetingId: string) => h.shards.clients[shard]!.keys(`*${meetingId}*`);

it("puts every key of a meeting on the shard its id hashes to, and none on the other", async () => {
  expect(byShard[0].length).toBeGreaterThanOrEqual(3);
  expect(byShard[1].length).toBeGreaterThanOrEqual(3);
  for (const [shard, meetings] of byShard.entries()) {
    for (const id of meetings) {
      const res = await join(id);
      expect(res.status, await res.clone().text()).toBe(200);
      const here = await keysOf(shard, id);
      // The seat ledger and the created-room mark of its main room.
      expect(here.sort()).toEqual(
        [`gomeet:meetings:room-created:{${mainRoomName(id)}}`, `gomeet:meetings:seats:{${id}}`].sort(),
      );
      expect(await keysOf(1 - shard, id)).toEqual([]);
      expect(await h.shards.clients[shard]!.zscore(`gomeet:meetings:seats:{${id}}`, host.id)).not.toBeNull();
    }
  }
});

it("a stopped shard refuses only its meetings' joins, with 503 and Retry-After, and they work again once it is back", async () => {
  await second.stop();
  await waitFor("the shard client to notice", async () => h.shards.clients[1]!.status !== "ready", 10_000);
  for (const id of byShard[1]) {
    const res = await join(id);
    expect(res.status).toBe(503);
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    const body = (await res.json()) as { code: string; detail: string };
    expect(body.code).toBe("seats_unavailable");
    expect(body.detail).not.toContain(String(second.port));
  }
  // Meetings on the other shard keep their ledger and admit as before.
  for (const id of byShard[0]) {
    expect((await join(id)).status).toBe(200);
    expect(await h.shards.clients[0]!.zcard(`gomeet:meetings:seats:{${id}}`)).toBe(1);
  }

  second = await startRedis({ port: second.port });
  await waitFor("the shard client to reconnect", async () => h.shards.clients[1]!.status === "ready", 15_000);
  for (const id of byShard[1]) {
    expect((await join(id)).status).toBe(200);
    expect(await h.shards.clients[1]!.zcard(`gomeet:meetings:seats:{${id}}`)).toBe(1);
  }
});

it("REDIS_SHARD_URLS is read in order, and a bad entry is refused by position without echoing it", () => {
  const base = {
    DATABASE_URL: "postgres://meetings@127.0.0.1/meetings",
    REDIS_URL: "redis://127.0.0.1:6379",
    AUTH_JWKS_URL: "http://127.0.0.1:1/.well-known/jwks.json",
    AUTH_ISSUER: "https://auth.gomeet.test",
    LIVEKIT_URL: "ws://127.0.0.1:7880",
    LIVEKIT_API_URL: "http://127.0.0.1:7880",
    LIVEKIT_API_KEY: "key",
    LIVEKIT_API_SECRET: "a-livekit-secret-of-at-least-32-characters",
    RECORDINGS_BUCKET: "gomeet-recordings",
    RECORDINGS_ACCESS_KEY: "access",
    RECORDINGS_SECRET_KEY: "secret",
  };
  expect(readMeetingsEnv(base).REDIS_SHARD_URLS).toBeUndefined();
  expect(
    readMeetingsEnv({ ...base, REDIS_SHARD_URLS: "redis://a:1, rediss://:pw@b:2" }).REDIS_SHARD_URLS,
  ).toEqual(["redis://a:1", "rediss://:pw@b:2"]);
  let message = "";
  try {
    readMeetingsEnv({ ...base, REDIS_SHARD_URLS: "redis://a:1,http://:topsecret@b:2" });
  } catch (error) {
    message = (error as Error).message;
  }
  expect(message).toContain("REDIS_SHARD_URLS: entry 2 of 2 must use redis: or rediss:, got http:");
  expect(message).not.toContain("topsecret");
});
