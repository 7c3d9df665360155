import type { Room } from "@livekit/rtc-node";
import { TokenVerifier } from "livekit-server-sdk";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { connectParticipant, waitDisconnected } from "../../apps/meetings/test/rtc-client.ts";
import { waitFor } from "../support/processes.ts";
import {
  ChatSocket,
  call,
  expectStatus,
  registerAndLogIn,
  type SignedInUser,
  type UpgradeRefusal,
} from "./support/client.ts";
import { type ControlPlane, startControlPlane, WEB_ORIGIN } from "./support/control-plane.ts";
import type { ProcessExit } from "./support/service-process.ts";

/**
 * One meeting, end to end, the way a user's client drives the control plane: auth, meetings and chat as
 * separate processes from their real entry points, real PostgreSQL, redis-server and livekit-server, and
 * nothing but HTTP, WebSocket and WebRTC between the test and them. The steps build on each other, so they
 * run in order on shared state.
 */
let plane: ControlPlane;
let host: SignedInUser;
let guest: SignedInUser;
let meetingId: string;
const rooms: Room[] = [];
const sockets: ChatSocket[] = [];

beforeAll(async () => {
  // chat asks meetings on every upgrade, so a removal shows at the very next socket (docs/services/chat.md).
  plane = await startControlPlane(inject("postgresAdminUrl"), { chat: { CHAT_MEMBERSHIP_CACHE_MS: "0" } });
}, 180_000);

afterAll(async () => {
  for (const socket of sockets) await socket.close();
  for (const room of rooms) await room.disconnect();
  await plane?.stop();
}, 120_000);

const meetings = (method: string, path: string, user: SignedInUser, json?: unknown) =>
  call(plane.meetings.baseUrl, method, path, { token: user.accessToken, json });

async function chatTicket(user: SignedInUser): Promise<string> {
  const body = expectStatus<{ ticket: string; expiresIn: number }>(
    await call(plane.auth.baseUrl, "POST", "/v1/chat-tickets", {
      token: user.accessToken,
      json: { meetingId },
    }),
    201,
  );
  return body.ticket;
}

async function openChat(user: SignedInUser): Promise<ChatSocket | UpgradeRefusal> {
  const query = new URLSearchParams({ meetingId, ticket: await chatTicket(user) });
  return await ChatSocket.open(
    `ws://127.0.0.1:${new URL(plane.chat.baseUrl).port}/v1/chat/ws?${query}`,
    WEB_ORIGIN,
  );
}

function expectOpen(outcome: ChatSocket | UpgradeRefusal): ChatSocket {
  if (!(outcome instanceof ChatSocket))
    throw new Error(`chat refused the upgrade: ${JSON.stringify(outcome)}`);
  sockets.push(outcome);
  return outcome;
}

/** The refusal chat answered the upgrade with; an accepted socket fails the test (and is closed). */
async function expectRefused(outcome: ChatSocket | UpgradeRefusal): Promise<UpgradeRefusal> {
  if (outcome instanceof ChatSocket) {
    await outcome.close();
    throw new Error("chat accepted the socket: it was expected to refuse the upgrade");
  }
  return outcome;
}

interface JoinAnswer {
  url: string;
  token: string;
  room: string;
  identity: string;
  role: string;
}

describe("a meeting through auth, meetings, chat and livekit-server", () => {
  it("host and guest register and log in at auth", async () => {
    host = await registerAndLogIn(plane.auth.baseUrl, "Hana Host");
    guest = await registerAndLogIn(plane.auth.baseUrl, "Gus Guest");
    expect(host.id).not.toBe(guest.id);
    expect(host.displayName).toBe("Hana Host");
  });

  it("the host schedules a meeting, invites the guest by link, and the guest accepts", async () => {
    const meeting = expectStatus<{ id: string; state: string; myRole: string }>(
      await meetings("POST", "/v1/meetings", host, {
        title: "End-to-end sync",
        startsAt: new Date().toISOString(),
        durationMinutes: 30,
        capacity: 4,
      }),
      201,
    );
    meetingId = meeting.id;
    expect(meeting).toMatchObject({ state: "scheduled", myRole: "host" });

    const invitation = expectStatus<{ code: string }>(
      await meetings("POST", `/v1/meetings/${meetingId}/invitations`, host, {
        kind: "link",
        role: "attendee",
        maxUses: 1,
        expiresInSeconds: 3600,
      }),
      201,
    );
    // Before accepting, the guest cannot even see that the meeting exists.
    expect((await meetings("GET", `/v1/meetings/${meetingId}`, guest)).status).toBe(404);
    expectStatus(await meetings("POST", "/v1/invitations/accept", guest, { code: invitation.code }), 200);
    const seen = expectStatus<{ myRole: string }>(
      await meetings("GET", `/v1/meetings/${meetingId}`, guest),
      200,
    );
    expect(seen.myRole).toBe("attendee");
  });

  it("both join: LiveKit tokens carry their roles' grants, and the host sees the guest in the room", async () => {
    const hostJoin = expectStatus<JoinAnswer>(
      await meetings("POST", `/v1/meetings/${meetingId}/join`, host),
      200,
    );
    const guestJoin = expectStatus<JoinAnswer>(
      await meetings("POST", `/v1/meetings/${meetingId}/join`, guest),
      200,
    );
    expect(hostJoin.url).toBe(plane.livekit.wsUrl);
    expect(guestJoin.room).toBe(hostJoin.room);

    // Verified with the key pair livekit-server was started with: the SFU accepts exactly these claims.
    const verifier = new TokenVerifier(plane.livekitApiKey, plane.livekitApiSecret);
    const hostClaims = await verifier.verify(hostJoin.token);
    const guestClaims = await verifier.verify(guestJoin.token);
    expect(hostClaims.sub).toBe(host.id);
    expect(guestClaims.sub).toBe(guest.id);
    expect(hostClaims.video).toMatchObject({
      roomJoin: true,
      room: hostJoin.room,
      roomAdmin: true,
      canPublish: true,
      canSubscribe: true,
      canPublishSources: ["camera", "microphone", "screen_share", "screen_share_audio"],
    });
    expect(guestClaims.video).toMatchObject({
      roomJoin: true,
      room: hostJoin.room,
      roomAdmin: false,
      canPublish: true,
      canSubscribe: true,
      canPublishSources: ["camera", "microphone"],
    });
    expect(JSON.parse(guestClaims.metadata ?? "{}")).toEqual({ meetingId, role: "attendee" });

    const hostRoom = await connectParticipant(hostJoin.url, hostJoin.token);
    rooms.push(hostRoom);
    const guestRoom = await connectParticipant(guestJoin.url, guestJoin.token);
    rooms.push(guestRoom);
    await waitFor("the host to see the guest in the room", async () =>
      hostRoom.remoteParticipants.has(guest.id),
    );
    expect(hostRoom.remoteParticipants.get(guest.id)?.identity).toBe(guest.id);

    // LiveKit's webhooks reached meetings: both are connected as far as the meetings API knows.
    await waitFor("meetings to list both participants (from LiveKit webhooks)", async () => {
      const list = await meetings("GET", `/v1/meetings/${meetingId}/participants`, host);
      const body = list.body as { participants?: { userId: string }[] };
      const ids = new Set((body.participants ?? []).map((p) => p.userId));
      return list.status === 200 && ids.has(host.id) && ids.has(guest.id);
    });
  });

  it("chat asks meetings: members chat in order, a stranger with a valid ticket is refused before upgrade", async () => {
    const hostChat = expectOpen(await openChat(host));
    const guestChat = expectOpen(await openChat(guest));
    const hostWelcome = await hostChat.waitFor("welcome", (f) => f.type === "welcome");
    const guestWelcome = await guestChat.waitFor("welcome", (f) => f.type === "welcome");
    // The roles come from meetings' membership answer, not from anything auth put in the ticket.
    expect(hostWelcome.you).toMatchObject({ userId: host.id, name: "Hana Host", role: "host" });
    expect(guestWelcome.you).toMatchObject({ userId: guest.id, name: "Gus Guest", role: "attendee" });
    await hostChat.waitFor("synced", (f) => f.type === "synced");
    await guestChat.waitFor("synced", (f) => f.type === "synced");

    guestChat.send({ type: "send", id: "guest-hello-1", text: "Hello from the guest" });
    const ack = await guestChat.waitFor("ack", (f) => f.type === "ack" && f.id === "guest-hello-1");
    expect(ack).toMatchObject({ seq: 1, duplicate: false });
    const received = await hostChat.waitFor(
      "the guest's message",
      (f) => f.type === "event" && f.kind === "message",
    );
    expect(received).toMatchObject({
      seq: ack.seq,
      id: "guest-hello-1",
      text: "Hello from the guest",
      from: { userId: guest.id, name: "Gus Guest" },
    });

    const stranger = await registerAndLogIn(plane.auth.baseUrl, "Sam Stranger");
    // Auth does not know meetings: it issues the ticket; meetings is what says no.
    expect(
      (await call(plane.meetings.baseUrl, "GET", `/internal/meetings/${meetingId}/members/${stranger.id}`))
        .status,
    ).toBe(404);
    expect(await expectRefused(await openChat(stranger))).toEqual({ status: 403, refusal: "not_a_member" });
  });

  it("after the host removes the guest, meetings refuses the guest's join and chat a new socket", async () => {
    const guestRoom = rooms[1]!;
    const evicted = waitDisconnected(guestRoom);
    const removed = expectStatus<{ userId: string }>(
      await meetings("POST", `/v1/meetings/${meetingId}/participants/${guest.id}/remove`, host),
      200,
    );
    expect(removed.userId).toBe(guest.id);

    const rejoin = await meetings("POST", `/v1/meetings/${meetingId}/join`, guest);
    expect(rejoin.status, JSON.stringify(rejoin.body)).toBe(403);
    expect(rejoin.body).toMatchObject({ code: "participant_removed" });

    expect(
      (await call(plane.meetings.baseUrl, "GET", `/internal/meetings/${meetingId}/members/${guest.id}`))
        .status,
    ).toBe(404);
    expect(await expectRefused(await openChat(guest))).toEqual({ status: 403, refusal: "not_a_member" });
    // The host is untouched: still a member for chat.
    expectOpen(await openChat(host));

    // RemoveParticipant disconnected the guest's WebRTC session too.
    await Promise.race([
      evicted,
      new Promise((_, reject) =>
        setTimeout(() => reject(new Error("guest not disconnected in 15 s")), 15_000),
      ),
    ]);
  });

  it("every service stops gracefully on SIGTERM and exits 0", async () => {
    for (const socket of sockets.splice(0)) await socket.close();
    for (const room of rooms.splice(0)) await room.disconnect();
    const exits = await plane.stop();
    const graceful: ProcessExit = { code: 0, signal: null };
    expect(exits).toEqual({ auth: graceful, meetings: graceful, chat: graceful });
  }, 90_000);
});
