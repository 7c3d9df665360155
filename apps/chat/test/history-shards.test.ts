import { execFile } from "node:child_process";
import { promisify } from "node:util";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { shardIndex } from "../src/shards.ts";
import { ChatClient, type ChatStack, newId, type Replica, root, startChatStack } from "./harness.ts";

let stack: ChatStack;
let replica: Replica;
const run = promisify(execFile);

beforeAll(async () => {
  stack = await startChatStack(inject("postgresAdminUrl"), "chat_history");
  replica = await stack.startReplica();
});
afterAll(async () => {
  await stack?.stop();
});

type Page = {
  items: Array<{ meetingId: string; seq: number; text: string | null; id: string }>;
  nextCursor: string | null;
};

/** Meeting ids that land on the wanted shard (the split is a hash, so draw until both shards are covered). */
function meetingOnShard(shard: number): string {
  for (;;) {
    const id = newId();
    if (shardIndex(id, 2) === shard) return id;
  }
}

describe("shards", () => {
  it("spreads meetings over both shards by id", () => {
    const counts = [0, 0];
    for (let i = 0; i < 2000; i++) counts[shardIndex(newId(), 2)]!++;
    expect(Math.min(...counts)).toBeGreaterThan(850);
    expect(shardIndex("A1B2C3D4-0000-4000-8000-000000000000", 2)).toBe(
      shardIndex("a1b2c3d4-0000-4000-8000-000000000000", 2),
    );
  });

  it("the migrate entry point migrates every shard and is idempotent; a bad shard URL is named by field", async () => {
    const env = { PATH: process.env.PATH, CHAT_SHARD_URLS: stack.shardUrls.join(",") };
    const again = await run(process.execPath, ["--import", "tsx", "apps/chat/src/migrate.ts"], {
      cwd: root,
      env,
    });
    const lines = again.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.filter((l) => l.msg === "shard migrated")).toEqual([
      expect.objectContaining({ shard: 0, applied: 0, alreadyApplied: 1 }),
      expect.objectContaining({ shard: 1, applied: 0, alreadyApplied: 1 }),
    ]);
    for (const url of stack.shardUrls) {
      const sql = postgres(url, { max: 1 });
      expect(await sql`select version from schema_migrations`).toEqual([{ version: 1 }]);
      await sql.end();
    }
    const bad = await run(process.execPath, ["--import", "tsx", "apps/chat/src/migrate.ts"], {
      cwd: root,
      env: { PATH: process.env.PATH, CHAT_SHARD_URLS: `${stack.shardUrls[0]},mysql://nope` },
    }).catch((error: { code: number; stdout: string }) => error);
    expect((bad as { code: number }).code).toBe(1);
    expect((bad as { stdout: string }).stdout).toContain(
      "CHAT_SHARD_URLS (1): expected a URL with scheme postgres or postgresql",
    );
    expect((bad as { stdout: string }).stdout).not.toContain(stack.shardUrls[0]);
  });

  it("pages a meeting's history with a cursor and exports one user's messages across both shards", async () => {
    const user = await stack.user();
    const other = await stack.user();
    const meetings = [meetingOnShard(0), meetingOnShard(1), meetingOnShard(0)];
    for (const m of meetings) {
      stack.members.set(m, user.id, "attendee");
      stack.members.set(m, other.id, "attendee");
    }
    for (const [i, m] of meetings.entries()) {
      const mine = await ChatClient.join(stack, replica, user, m);
      const theirs = await ChatClient.join(stack, replica, other, m);
      for (let k = 0; k < 5; k++) {
        mine.sendMessage(`m${i}-${k}`);
        theirs.sendMessage(`other ${i}-${k}`);
      }
      await mine.waitForCount((f) => f.type === "ack", 5);
      await theirs.waitForCount((f) => f.type === "ack", 5);
      mine.close();
      theirs.close();
    }
    // Each meeting's rows are on its own shard only.
    for (const [i, m] of meetings.entries()) {
      for (const [s, url] of stack.shardUrls.entries()) {
        const sql = postgres(url, { max: 1 });
        const [row] = await sql<
          { n: number }[]
        >`select count(*)::int as n from chat_events where meeting_id = ${m}`;
        expect(row!.n).toBe(s === shardIndex(m, 2) ? 10 : 0);
        await sql.end();
      }
      expect(shardIndex(m, 2)).toBe(i === 1 ? 1 : 0);
    }

    // History, newest first, 4 at a time.
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const res = await replica.http(
        `/v1/chat/meetings/${meetings[1]}/messages?limit=4${cursor ? `&cursor=${cursor}` : ""}`,
        { token: user.accessToken },
      );
      expect(res.status).toBe(200);
      const page = (await res.json()) as Page;
      seen.push(...page.items.map((item) => item.seq));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual([10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);

    // Export across shards, 6 at a time: all 15 of the user's messages, none of the other user's.
    const exported: Page["items"] = [];
    cursor = null;
    do {
      const res = await replica.http(`/v1/chat/me/messages?limit=6${cursor ? `&cursor=${cursor}` : ""}`, {
        token: user.accessToken,
      });
      const page = (await res.json()) as Page;
      exported.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    expect(exported.map((e) => e.text).sort()).toEqual(
      [0, 1, 2].flatMap((i) => [0, 1, 2, 3, 4].map((k) => `m${i}-${k}`)).sort(),
    );
    expect(new Set(exported.map((e) => e.meetingId))).toEqual(new Set(meetings));
    const order = exported.map((e) => `${e.meetingId}:${e.seq}`);
    expect(new Set(order).size).toBe(15);
  });

  it("refuses history to non-members, without a token, and with a bad cursor", async () => {
    const meetingId = newId();
    const outsider = await stack.user();
    const member = await stack.user();
    stack.members.set(meetingId, member.id, "attendee");
    const path = `/v1/chat/meetings/${meetingId}/messages`;
    expect((await replica.http(path)).status).toBe(401);
    const forbidden = await replica.http(path, { token: outsider.accessToken });
    expect(forbidden.status).toBe(403);
    expect(await forbidden.json()).toMatchObject({ code: "not_a_member" });
    const badCursor = await replica.http(`${path}?cursor=bm9wZQ`, { token: member.accessToken });
    expect(badCursor.status).toBe(422);
    expect(await badCursor.json()).toMatchObject({
      code: "validation_failed",
      errors: [{ field: "cursor" }],
    });
    const badLimit = await replica.http(`${path}?limit=1000`, { token: member.accessToken });
    expect(badLimit.status).toBe(422);
    const openapi = (await (await replica.http("/openapi.json")).json()) as {
      paths: Record<string, unknown>;
    };
    expect(Object.keys(openapi.paths)).toEqual(
      expect.arrayContaining(["/v1/chat/meetings/{meetingId}/messages", "/v1/chat/me/messages"]),
    );
  });
});
