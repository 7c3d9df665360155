import { createServer, type IncomingMessage, type Server } from "node:http";
import { dispose } from "@livekit/rtc-node";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { freePort, waitFor } from "../../../test/support/processes.ts";
import { presignS3Url } from "../src/s3-presign.ts";
import {
  addMember,
  type MeetingsHarness,
  scheduleMeeting,
  startMeetingsHarness,
  type User,
} from "./harness.ts";
import { collectData, connectParticipant } from "./rtc-client.ts";

/**
 * Breakout rooms round trip and recordings, against a real livekit-server (which has no egress worker here).
 * The recordings Space is stood in for by a loopback HTTP server that checks the presigned DELETE's signature.
 */
let h: MeetingsHarness;
let host: User;
let storage: Server;
const storageRequests: { method: string; url: string; valid: boolean }[] = [];

beforeAll(async () => {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  h = await startMeetingsHarness(inject("postgresAdminUrl"), "meetings_breakouts", {
    liveKitNodes: 1,
    config: {
      recordings: {
        endpoint,
        region: "sgp1",
        bucket: "gomeet-test-recordings",
        accessKey: "DO00TESTACCESSKEY",
        secretKey: "spaces-secret-key-for-tests-0123456789",
        playbackTtlSeconds: 600,
      },
    },
  });
  storage = createServer((req: IncomingMessage, res) => {
    const url = new URL(req.url ?? "/", endpoint);
    const expected = resign(url, endpoint, req.method as "DELETE");
    storageRequests.push({
      method: req.method ?? "",
      url: url.pathname,
      valid: expected === url.searchParams.get("X-Amz-Signature"),
    });
    res.writeHead(204).end();
  });
  await new Promise<void>((resolve) => storage.listen(port, "127.0.0.1", resolve));
  host = await h.user();
});
afterAll(async () => {
  await dispose();
  storage.close();
  await h.stop();
});

/** Recomputes the signature the way the Space would, from the request's own date and key. */
function resign(url: URL, endpoint: string, method: "DELETE"): string {
  const date = url.searchParams.get("X-Amz-Date") ?? "";
  const iso = `${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}T${date.slice(9, 11)}:${date.slice(11, 13)}:${date.slice(13, 15)}Z`;
  const [, bucket, ...key] = url.pathname.split("/");
  const signed = presignS3Url({
    method,
    endpoint,
    region: "sgp1",
    bucket: bucket ?? "",
    key: decodeURIComponent(key.join("/")),
    accessKey: "DO00TESTACCESSKEY",
    secretKey: "spaces-secret-key-for-tests-0123456789",
    expiresSeconds: Number(url.searchParams.get("X-Amz-Expires")),
    now: new Date(iso),
  });
  return new URL(signed).searchParams.get("X-Amz-Signature") ?? "";
}

async function join(meetingId: string, user: User) {
  const res = await h.request(`/v1/meetings/${meetingId}/join`, { method: "POST", user });
  if (res.status !== 200) throw new Error(`join answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as { url: string; token: string; room: string; breakoutRoom: number | null };
}

/** Runs `run` with `hook` called on each breakouts announcement before it is handed to LiveKit. */
async function beforeEachAnnouncement(hook: (type: string) => Promise<void>, run: () => Promise<unknown>) {
  const rooms = h.service.context.rooms;
  const original = rooms.sendData;
  const send = original.bind(rooms) as (...args: unknown[]) => Promise<void>;
  rooms.sendData = (async (...args: unknown[]) => {
    await hook((JSON.parse(new TextDecoder().decode(args[1] as Uint8Array)) as { type: string }).type);
    return send(...args);
  }) as typeof rooms.sendData;
  try {
    await run();
  } finally {
    rooms.sendData = original;
  }
}

const post = (path: string, user: User, json?: unknown) =>
  h.request(path, { method: "POST", user, ...(json !== undefined ? { json } : {}) });

describe("breakout rooms", () => {
  it("create, assign (manual and balanced), open, broadcast, close: tokens follow the room", async () => {
    const m = await scheduleMeeting(h, host, { capacity: 20 });
    const people = await Promise.all(Array.from({ length: 5 }, () => h.user()));
    for (const p of people) await addMember(h, m.id, host, p);
    const hostJoin = await join(m.id, host);
    const hostRoom = await connectParticipant(hostJoin.url, hostJoin.token);
    const hostMessages = collectData(hostRoom, "gomeet.breakouts");

    expect((await post(`/v1/meetings/${m.id}/breakouts`, people[0]!, { count: 2 })).status).toBe(403);
    const created = await post(`/v1/meetings/${m.id}/breakouts`, host, { count: 2 });
    expect(created.status).toBe(201);
    const manual = await h.request(`/v1/meetings/${m.id}/breakouts/assignments`, {
      method: "PUT",
      user: host,
      json: { mode: "manual", assignments: [{ userId: people[0]!.id, room: 2 }] },
    });
    expect(manual.status).toBe(200);
    const badRoom = await h.request(`/v1/meetings/${m.id}/breakouts/assignments`, {
      method: "PUT",
      user: host,
      json: { mode: "manual", assignments: [{ userId: people[1]!.id, room: 9 }] },
    });
    expect(badRoom.status).toBe(422);
    const balanced = await h.request(`/v1/meetings/${m.id}/breakouts/assignments`, {
      method: "PUT",
      user: host,
      json: { mode: "balanced" },
    });
    const plan = (await balanced.json()) as { rooms: { number: number; members: string[] }[] };
    expect(plan.rooms.map((r) => r.members.length).sort()).toEqual([2, 3]);
    expect(plan.rooms.find((r) => r.number === 2)?.members).toContain(people[0]!.id);
    expect(plan.rooms.flatMap((r) => r.members)).not.toContain(host.id);

    expect((await post(`/v1/meetings/${m.id}/breakouts/broadcast`, host, { message: "early" })).status).toBe(
      409,
    );
    const opened = await post(`/v1/meetings/${m.id}/breakouts/open`, host);
    expect(await opened.json()).toMatchObject({ open: true });
    await waitFor("the main room to hear that breakouts opened", async () =>
      hostMessages.some((m) => JSON.parse(m).type === "breakouts_opened"),
    );
    const inRoom2 = await join(m.id, people[0]!);
    expect(inRoom2).toMatchObject({ room: `meeting-${m.id}-b2`, breakoutRoom: 2 });
    // The host is not assigned and stays in the main room.
    expect((await join(m.id, host)).room).toBe(`meeting-${m.id}`);
    const rooms = await h.service.context.rooms.listRooms([`meeting-${m.id}-b1`, `meeting-${m.id}-b2`]);
    expect(rooms.map((r) => r.name).sort()).toEqual([`meeting-${m.id}-b1`, `meeting-${m.id}-b2`]);

    const guest = await connectParticipant(inRoom2.url, inRoom2.token);
    const guestMessages = collectData(guest, "gomeet.breakouts");
    await waitFor("the guest to show up in breakout room 2", async () => {
      const list = (await (await h.request(`/v1/meetings/${m.id}/participants`, { user: host })).json()) as {
        participants: { userId: string; breakoutRoom: number | null }[];
      };
      return list.participants.some((p) => p.userId === people[0]!.id && p.breakoutRoom === 2);
    });
    const broadcast = await post(`/v1/meetings/${m.id}/breakouts/broadcast`, host, {
      message: "5 minutes left",
    });
    expect(broadcast.status).toBe(200);
    await waitFor("the broadcast in the breakout room and the main room", async () =>
      [guestMessages, hostMessages].every((seen) =>
        seen.some((m) => JSON.parse(m).type === "broadcast" && JSON.parse(m).message === "5 minutes left"),
      ),
    );

    const closed = await post(`/v1/meetings/${m.id}/breakouts/close`, host);
    expect(await closed.json()).toMatchObject({ open: false });
    await waitFor("the breakout room to be closed", async () => !guest.isConnected);
    expect(guestMessages.some((m) => JSON.parse(m).type === "breakouts_closed")).toBe(true);
    expect(await join(m.id, people[0]!)).toMatchObject({ room: `meeting-${m.id}`, breakoutRoom: null });
    await hostRoom.disconnect();
  });

  it("a member who joins the moment the opening is announced gets their breakout room", async () => {
    const m = await scheduleMeeting(h, host, { capacity: 10 });
    const guest = await h.user();
    await addMember(h, m.id, host, guest);
    await join(m.id, host);
    expect((await post(`/v1/meetings/${m.id}/breakouts`, host, { count: 1 })).status).toBe(201);
    const assigned = await h.request(`/v1/meetings/${m.id}/breakouts/assignments`, {
      method: "PUT",
      user: host,
      json: { mode: "balanced" },
    });
    expect(assigned.status).toBe(200);
    // What a browser does on "breakouts_opened": ask /join for its room at once. Doing it before the announcement
    // reaches LiveKit makes the race deterministic: the join runs before the announcement returns.
    const joinsOnAnnouncement: { room: string; breakoutRoom: number | null }[] = [];
    await beforeEachAnnouncement(
      async (type) => {
        if (type === "breakouts_opened") joinsOnAnnouncement.push(await join(m.id, guest));
      },
      async () => expect((await post(`/v1/meetings/${m.id}/breakouts/open`, host)).status).toBe(200),
    );
    expect(joinsOnAnnouncement).toEqual([
      expect.objectContaining({ room: `meeting-${m.id}-b1`, breakoutRoom: 1 }),
    ]);

    // Closing: the announcement goes out while the close still holds the meeting's lock, and a join started then
    // must come back with the main room, not the breakout room being deleted. The join is not awaited here (it
    // waits for the close), and the announcement is held back a moment so the join runs while the close is open.
    const joinsOnClose: Promise<{ room: string; breakoutRoom: number | null }>[] = [];
    await beforeEachAnnouncement(
      async (type) => {
        if (type !== "breakouts_closed") return;
        joinsOnClose.push(join(m.id, guest));
        await new Promise((resolve) => setTimeout(resolve, 300));
      },
      async () => expect((await post(`/v1/meetings/${m.id}/breakouts/close`, host)).status).toBe(200),
    );
    expect(await Promise.all(joinsOnClose)).toEqual([
      expect.objectContaining({ room: `meeting-${m.id}`, breakoutRoom: null }),
    ]);
    const rooms = h.service.context.rooms;
    expect(await rooms.listRooms([`meeting-${m.id}-b1`])).toEqual([]);
  });
});

describe("recordings", () => {
  it("only allowed roles record; without an egress worker the start fails clearly", async () => {
    const m = await scheduleMeeting(h, host, {
      settings: { recordingAllowed: true, recordingRoles: ["host"] },
    });
    const cohost = await h.user();
    await addMember(h, m.id, host, cohost, "co-host");
    const early = await post(`/v1/meetings/${m.id}/recordings`, host);
    expect(early.status).toBe(409);
    const hostJoin = await join(m.id, host);
    const room = await connectParticipant(hostJoin.url, hostJoin.token);
    const cohostTry = await post(`/v1/meetings/${m.id}/recordings`, cohost);
    expect(cohostTry.status).toBe(403);
    expect(((await cohostTry.json()) as { detail: string }).detail).toMatch(/co-host role may not record/);
    const started = await post(`/v1/meetings/${m.id}/recordings`, host);
    expect(started.status).toBe(503);
    const problem = (await started.json()) as { code: string; detail: string };
    expect(problem.code).toBe("egress_unavailable");
    expect(problem.detail).toMatch(/no egress worker took the recording request/);
    console.info(`egress start without a worker: ${problem.detail}`);
    expect(JSON.stringify(problem)).not.toContain("spaces-secret-key");
    expect(h.logs.join("\n")).not.toContain("spaces-secret-key");

    const other = await scheduleMeeting(h, host);
    await join(other.id, host);
    const notAllowed = await post(`/v1/meetings/${other.id}/recordings`, host);
    expect(((await notAllowed.json()) as { code: string }).code).toBe("recording_not_allowed");
    await room.disconnect();
  });

  it("status follows egress webhooks; playback is a presigned URL; delete removes the object", async () => {
    const m = await scheduleMeeting(h, host, { settings: { recordingAllowed: true } });
    await join(m.id, host);
    // A recording as the egress service would have started it (none runs here); its lifecycle arrives by webhook.
    await h.db.sql`insert into recordings (meeting_id, egress_id, object_key, status, started_by)
      values (${m.id}, 'EG_test1', ${`recordings/${m.id}/a b.mp4`}, 'starting', ${host.id})`;
    const egress = (id: string, status: string) =>
      JSON.stringify({
        event: status === "EGRESS_COMPLETE" ? "egress_ended" : "egress_updated",
        id,
        createdAt: String(Math.floor(Date.now() / 1000)),
        egressInfo: { egressId: "EG_test1", roomName: `meeting-${m.id}`, status },
      });
    const list = async () =>
      (
        (await (await h.request(`/v1/meetings/${m.id}/recordings`, { user: host })).json()) as {
          recordings: { id: string; status: string; endedAt: string | null }[];
        }
      ).recordings;
    const [rec] = await list();
    const notReady = await h.request(`/v1/meetings/${m.id}/recordings/${rec!.id}/playback`, { user: host });
    expect(notReady.status).toBe(409);
    expect(await (await h.signedWebhook(egress("EV_e1", "EGRESS_ACTIVE"))).json()).toEqual({
      outcome: "applied",
    });
    expect((await list())[0]?.status).toBe("active");
    expect(await (await h.signedWebhook(egress("EV_e2", "EGRESS_COMPLETE"))).json()).toEqual({
      outcome: "applied",
    });
    // A late "active" never undoes "complete".
    await h.signedWebhook(egress("EV_e3", "EGRESS_ACTIVE"));
    const [done] = await list();
    expect(done).toMatchObject({ status: "complete" });
    expect(done?.endedAt).not.toBeNull();

    const playback = await h.request(`/v1/meetings/${m.id}/recordings/${rec!.id}/playback`, { user: host });
    const { url, expiresAt } = (await playback.json()) as { url: string; expiresAt: string };
    const parsed = new URL(url);
    expect(parsed.pathname).toBe(`/gomeet-test-recordings/recordings/${m.id}/a%20b.mp4`);
    expect(parsed.searchParams.get("X-Amz-Expires")).toBe("600");
    expect(parsed.searchParams.get("X-Amz-Credential")).toMatch(
      /^DO00TESTACCESSKEY\/\d{8}\/sgp1\/s3\/aws4_request$/,
    );
    expect(url).not.toContain("spaces-secret-key");
    expect(new Date(expiresAt).getTime() - Date.now()).toBeGreaterThan(590_000);

    const del = await h.request(`/v1/meetings/${m.id}/recordings/${rec!.id}`, {
      method: "DELETE",
      user: host,
    });
    expect(del.status).toBe(204);
    expect(storageRequests.at(-1)).toEqual({
      method: "DELETE",
      url: `/gomeet-test-recordings/recordings/${m.id}/a%20b.mp4`,
      valid: true,
    });
    expect(await list()).toEqual([]);
    const stop = await post(`/v1/meetings/${m.id}/recordings/${rec!.id}/stop`, host);
    expect(stop.status).toBe(404);
  });
});
