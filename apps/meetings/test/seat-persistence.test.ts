import { randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { afterEach, expect, it } from "vitest";
import { waitFor } from "../../../test/support/processes.ts";
import { type RedisServer, startRedis } from "../../../test/support/redis.ts";
import { RedisShards } from "../../shared/src/index.ts";
import { MeetingSeats } from "../src/meeting-seats.ts";

/**
 * A shard's seat ledgers across a restart of its server (docs/data.md "Valkey: partitioned by meeting",
 * Persistence). With `rdb` on, as the stack sets it on every app shard (infra/layers/cloud.ts), the dump written
 * at shutdown brings a full meeting back full; with persistence off the same restart empties the ledger and the
 * meeting admits past its capacity. The seats go through MeetingSeats, the code the join runs.
 */
const CAPACITY = 3;
const HOLD_SECONDS = 120;

let server: RedisServer | undefined;
let client: Redis | undefined;
const dirs: string[] = [];

afterEach(async () => {
  client?.disconnect();
  await server?.stop();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function ownedDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "gomeet-seat-rdb-"));
  dirs.push(dir);
  return dir;
}

/** Fills a meeting: CAPACITY seats held, the first one connected (+inf, as the LiveKit webhook marks it). */
async function fullMeeting(seats: MeetingSeats, meetingId: string): Promise<string[]> {
  const holders = Array.from({ length: CAPACITY }, () => randomUUID());
  for (const identity of holders) {
    expect((await seats.admit(meetingId, identity, CAPACITY)).admitted).toBe(true);
  }
  await seats.markConnected(meetingId, holders[0]!);
  expect(await seats.admit(meetingId, randomUUID(), CAPACITY)).toMatchObject({
    admitted: false,
    taken: CAPACITY,
  });
  return holders;
}

/** Starts the server, fills a meeting, restarts the server on the same port, and returns the ledger after. */
async function restartWithFullMeeting(rdb: { dir: string } | undefined) {
  server = await startRedis(rdb ? { rdb } : {});
  // The service's clients reconnect on their own (kit createRedis); this one does too, with ioredis's default.
  client = new Redis(server.url);
  const seats = new MeetingSeats(new RedisShards([client]), HOLD_SECONDS);
  const meetingId = randomUUID();
  const key = `gomeet:meetings:seats:{${meetingId}}`;
  const holders = await fullMeeting(seats, meetingId);
  const before = await client.zrange(key, 0, -1, "WITHSCORES");
  if (rdb) expect(existsSync(join(rdb.dir, "dump.rdb"))).toBe(false);

  const port = server.port;
  await server.stop();
  server = await startRedis({ port, ...(rdb ? { rdb } : {}) });
  await waitFor("the client to reconnect", async () => client?.status === "ready", 15_000);
  return { seats, meetingId, key, holders, before };
}

it("with rdb persistence, a full meeting's seat ledger survives a restart of its shard and the meeting stays full", async () => {
  const dir = ownedDir();
  const { seats, meetingId, key, holders, before } = await restartWithFullMeeting({ dir });
  // Nothing reached the save point (600 s, 1 change) during the test: the dump is the one written at shutdown.
  expect(existsSync(join(dir, "dump.rdb"))).toBe(true);

  expect(await client!.zrange(key, 0, -1, "WITHSCORES")).toEqual(before);
  expect(await client!.zscore(key, holders[0]!)).toBe("inf");
  expect(await client!.pttl(key)).toBeGreaterThan(0);
  expect(await seats.taken(meetingId)).toBe(CAPACITY);

  // Admission carries on from the restored ledger: a newcomer is refused, a holder's rejoin keeps its seat,
  // and a released seat goes to the next one who asks.
  expect(await seats.admit(meetingId, randomUUID(), CAPACITY)).toMatchObject({
    admitted: false,
    taken: CAPACITY,
  });
  expect(await seats.admit(meetingId, holders[1]!, CAPACITY)).toMatchObject({
    admitted: true,
    taken: CAPACITY,
  });
  await seats.release(meetingId, holders[2]!);
  const next = randomUUID();
  expect(await seats.admit(meetingId, next, CAPACITY)).toMatchObject({ admitted: true, taken: CAPACITY });
  expect(await seats.admit(meetingId, randomUUID(), CAPACITY)).toMatchObject({
    admitted: false,
    taken: CAPACITY,
  });
});

it("with persistence off (startRedis's default), the same restart loses the ledger and the full meeting admits again", async () => {
  const { seats, meetingId, key, before } = await restartWithFullMeeting(undefined);
  expect(before.length).toBe(2 * CAPACITY);

  expect(await client!.exists(key)).toBe(0);
  expect(await seats.taken(meetingId)).toBe(0);
  expect(await seats.admit(meetingId, randomUUID(), CAPACITY)).toMatchObject({ admitted: true, taken: 1 });
});
