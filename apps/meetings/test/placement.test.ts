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
