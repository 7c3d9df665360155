import type { Redis } from "ioredis";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { liveKitRedisOf, nodeIdOf } from "../../../test/media/support/meeting-participants.ts";
import { waitFor } from "../../../test/support/processes.ts";
import { createLogger } from "../../shared/src/index.ts";
import { LiveKitNodeRegistry } from "../src/livekit-node-registry.ts";
import { mainRoomName } from "../src/meetings-store.ts";
import { RoomPrecreator } from "../src/room-precreator.ts";
import { RoomProvisioner } from "../src/room-provisioner.ts";
import {
  addMember,
  type MeetingsHarness,
  scheduleMeeting,
  startMeetingsHarness,
  type User,
} from "./harness.ts";

/**
 * Rooms created ahead of the schedule, against two livekit-server nodes sharing one redis: large rooms land one
 * per node (the placement lock and its 2.5 s spacing), the meetings stay scheduled until the host joins, the
 * host's join uses the room as it is, and two replicas running the worker at once create each room once.
 */
let h: MeetingsHarness;
let liveKitRedis: Redis;
let registry: LiveKitNodeRegistry;
let host: User;
const inFiveMinutes = () => new Date(Date.now() + 5 * 60_000).toISOString();

function precreator(provisioner: RoomProvisioner): RoomPrecreator {
  return new RoomPrecreator({
    sql: h.db.sql,
    provisioner,
    logger: createLogger({ service: "meetings", level: "error" }),
    metrics: new Registry(),
    options: { leadSeconds: 600, graceSeconds: 900, batch: 200 },
  });
}

/** A second meetings replica: its own provisioner (own in-process dedup) on the same Redis and LiveKit. */
function replica(logs: string[]): RoomProvisioner {
  return new RoomProvisioner(
    h.service.context.rooms,
    h.redis,
    {
      largeMeetingThreshold: h.config.scaling.largeMeetingThreshold,
      placementSpacingMs: h.config.placementSpacingMs,
      emptyTimeoutSeconds: h.config.roomEmptyTimeoutSeconds,
      departureTimeoutSeconds: h.config.roomDepartureTimeoutSeconds,
    },
    createLogger({ service: "meetings", level: "info", sink: (line) => logs.push(line) }),
  );
}

async function state(meetingId: string): Promise<string | undefined> {
  const [row] = await h.db.sql<{ state: string }[]>`select state from meetings where id = ${meetingId}`;
  return row?.state;
}

beforeAll(async () => {
  h = await startMeetingsHarness(inject("postgresAdminUrl"), "meetings_precreation", { liveKitNodes: 2 });
  liveKitRedis = liveKitRedisOf(h.nodes[0]!);
  registry = new LiveKitNodeRegistry(liveKitRedis);
  host = await h.user();
}, 120_000);

afterAll(async () => {
  liveKitRedis?.disconnect();
  await h?.stop();
});

describe("rooms created before scheduled meetings start", () => {
  it("places the large rooms of meetings starting soon on different nodes, leaves later ones alone, and does not start the meetings", async () => {
    const large = [
      await scheduleMeeting(h, host, { capacity: 500, startsAt: inFiveMinutes() }),
      await scheduleMeeting(h, host, { capacity: 500, startsAt: inFiveMinutes() }),
    ];
    const later = await scheduleMeeting(h, host, {
      capacity: 500,
      startsAt: new Date(Date.now() + 3 * 3600_000).toISOString(),
    });
    const ready = await precreator(h.service.context.provisioner).runOnce();
    expect(ready).toEqual(expect.arrayContaining(large.map((m) => mainRoomName(m.id))));
    expect(ready).not.toContain(mainRoomName(later.id));

    const placed = await registry.roomNodes([...large, later].map((m) => mainRoomName(m.id)));
    const nodes = large.map((m) => placed.get(mainRoomName(m.id)));
    expect(new Set(nodes).size).toBe(2);
    const known = await Promise.all(h.nodes.map((n) => nodeIdOf(n)));
    for (const node of nodes) expect(known).toContain(node);
    expect(placed.has(mainRoomName(later.id))).toBe(false);

    // The rooms' room_started webhooks arrive (the room sid is recorded) but the meetings stay scheduled.
    await waitFor("room_started webhooks to be applied", async () => {
      const rows = await h.db.sql<{ roomSid: string | null }[]>`
        select room_sid as "roomSid" from meetings where id = any(${large.map((m) => m.id)})`;
      return rows.every((r) => r.roomSid !== null);
    });
    for (const m of large) expect(await state(m.id)).toBe("scheduled");
  });

  it("lets the host start the meeting in the pre-created room, keeps attendees out until then", async () => {
    const meeting = await scheduleMeeting(h, host, { capacity: 500, startsAt: inFiveMinutes() });
    const attendee = await h.user();
    await addMember(h, meeting.id, host, attendee);
    await precreator(h.service.context.provisioner).runOnce();
    const room = mainRoomName(meeting.id);
    const [before] = await h.service.context.rooms.listRooms([room]);
    expect(before?.sid).toMatch(/^RM_/);

    const early = await h.request(`/v1/meetings/${meeting.id}/join`, { method: "POST", user: attendee });
    expect(early.status).toBe(409);
    expect(((await early.json()) as { code?: string; type?: string; detail?: string }).detail).toMatch(
      /not started/,
    );

    const join = await h.request(`/v1/meetings/${meeting.id}/join`, { method: "POST", user: host });
    expect(join.status).toBe(200);
    expect(((await join.json()) as { room: string }).room).toBe(room);
    const [after] = await h.service.context.rooms.listRooms([room]);
    expect(after?.sid).toBe(before?.sid);
    expect(await state(meeting.id)).toBe("live");
  });

  it("closes the pre-created room when the meeting is cancelled", async () => {
    const meeting = await scheduleMeeting(h, host, { capacity: 20, startsAt: inFiveMinutes() });
    const room = mainRoomName(meeting.id);
    expect(await precreator(h.service.context.provisioner).runOnce()).toContain(room);
    expect((await h.service.context.rooms.listRooms([room])).map((r) => r.name)).toEqual([room]);
    const cancel = await h.request(`/v1/meetings/${meeting.id}/cancel`, { method: "POST", user: host });
    expect(cancel.status).toBe(200);
    expect(await h.service.context.rooms.listRooms([room])).toEqual([]);
    expect(await h.shards.forMeeting(meeting.id).exists(h.service.context.provisioner.markKey(room))).toBe(0);
  });

  it("closes a room it made for a meeting cancelled while the room was being created", async () => {
    const meeting = await scheduleMeeting(h, host, { capacity: 20, startsAt: inFiveMinutes() });
    const room = mainRoomName(meeting.id);
    // The real provisioner, with the cancel landing after the worker chose the meeting and before the room
    // exists: the cancel finds no room to close.
    const provisioner = replica([]);
    const ensure = provisioner.ensureRoom.bind(provisioner);
    provisioner.ensureRoom = async (...args) => {
      if (args[0] === room) {
        const cancel = await h.request(`/v1/meetings/${meeting.id}/cancel`, { method: "POST", user: host });
        expect(cancel.status).toBe(200);
        expect(await h.service.context.rooms.listRooms([room])).toEqual([]);
      }
      return await ensure(...args);
    };
    expect(await precreator(provisioner).runOnce()).not.toContain(room);
    expect(await h.service.context.rooms.listRooms([room])).toEqual([]);
    expect(await state(meeting.id)).toBe("cancelled");
  });

  it("creates each room once when two replicas run the worker at the same time", async () => {
    const meetings = [
      await scheduleMeeting(h, host, { capacity: 500, startsAt: inFiveMinutes() }),
      await scheduleMeeting(h, host, { capacity: 300, startsAt: inFiveMinutes() }),
      await scheduleMeeting(h, host, { capacity: 20, startsAt: inFiveMinutes() }),
    ];
    const logsA: string[] = [];
    const logsB: string[] = [];
    await Promise.all([precreator(replica(logsA)).runOnce(), precreator(replica(logsB)).runOnce()]);
    for (const m of meetings) {
      const room = mainRoomName(m.id);
      const creations = [...logsA, ...logsB].filter(
        (line) => line.includes('"msg":"livekit room ready"') && line.includes(room),
      );
      // Large rooms are serialised by the placement lock and re-checked under it: exactly one creation.
      if (Number(m.capacity) > h.config.scaling.largeMeetingThreshold) expect(creations).toHaveLength(1);
      else expect(creations.length).toBeGreaterThanOrEqual(1);
      expect((await h.service.context.rooms.listRooms([room])).map((r) => r.name)).toEqual([room]);
    }
  });
});
