import { afterAll, beforeAll, expect, inject, it } from "vitest";
import type { RunningLiveKitNode } from "../../../test/media/support/livekit-node.ts";
import { type MeetingsHarness, scheduleMeeting, startMeetingsHarness } from "./harness.ts";

/**
 * Two livekit-server nodes sharing one TLS redis, as the media pool runs them: two 500-person meetings whose
 * first joins come back to back land on different nodes (placement spacing + the shipped rooms-sorted selector).
 */
let h: MeetingsHarness;
beforeAll(async () => {
  h = await startMeetingsHarness(inject("postgresAdminUrl"), "meetings_placement", { liveKitNodes: 2 });
});
afterAll(async () => h.stop());

async function roomsHosted(node: RunningLiveKitNode): Promise<number> {
  const text = await (await fetch(node.metricsUrl)).text();
  const match = /^livekit_room_total\{[^}]*\} (\d+)$/m.exec(text);
  return Number(match?.[1] ?? 0);
}

it("gives each 500-person meeting a node of its own", async () => {
  const host = await h.user();
  const [a, b] = [
    await scheduleMeeting(h, host, { capacity: 500 }),
    await scheduleMeeting(h, host, { capacity: 500 }),
  ];
  const started = Date.now();
  const joins = await Promise.all(
    [a, b].map((m) => h.request(`/v1/meetings/${m.id}/join`, { method: "POST", user: host })),
  );
  expect(joins.map((r) => r.status)).toEqual([200, 200]);
  // The second large room waited for fresh node stats before it was placed.
  expect(Date.now() - started).toBeGreaterThanOrEqual(2000);
  const hosted = await Promise.all(h.nodes.map(roomsHosted));
  expect(hosted.sort()).toEqual([1, 1]);
});

it("a large room that still exists when its created-room mark lapses is not placed again", async () => {
  const host = await h.user();
  const m = await scheduleMeeting(h, host, { capacity: 500 });
  const join = () => h.request(`/v1/meetings/${m.id}/join`, { method: "POST", user: host });
  expect((await join()).status).toBe(200);
  const hostedBefore = (await Promise.all(h.nodes.map(roomsHosted))).reduce((a, b) => a + b, 0);

  // Another replica is placing a new large room and holds the cluster-wide lock for a minute, and this room's
  // mark has lapsed (it lasts 20 s, the meeting hours). Before the fix, the join waited for the lock (30 s,
  // then 503 placement_busy); now LiveKit's answer that the room exists is enough.
  const lock = "gomeet:meetings:placement-lock";
  await h.redis.set(lock, "another-replica", "PX", 60_000);
  await h.shards.forMeeting(m.id).del(`gomeet:meetings:room-created:{meeting-${m.id}}`);
  try {
    const again = await join();
    expect(again.status, await again.clone().text()).toBe(200);
    expect(((await again.json()) as { room: string }).room).toBe(`meeting-${m.id}`);
    expect(await h.redis.get(lock)).toBe("another-replica");
    expect(
      await h.shards.forMeeting(m.id).get(`gomeet:meetings:room-created:{meeting-${m.id}}`),
    ).toBeTruthy();
    const hostedAfter = (await Promise.all(h.nodes.map(roomsHosted))).reduce((a, b) => a + b, 0);
    expect(hostedAfter).toBe(hostedBefore);
  } finally {
    await h.redis.del(lock);
  }
});
