import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import {
  addMember,
  type MeetingsHarness,
  scheduleMeeting,
  startMeetingsHarness,
  type User,
} from "./harness.ts";

/** Meetings CRUD, legal transitions only, roles and invitations (no LiveKit needed up to the join). */
let h: MeetingsHarness;
let host: User;
beforeAll(async () => {
  h = await startMeetingsHarness(inject("postgresAdminUrl"), "meetings_lifecycle");
  host = await h.user();
});
afterAll(async () => h.stop());

describe("meetings", () => {
  it("schedules a meeting with defaults, reads it and lists it for its host only", async () => {
    const startsAt = new Date(Date.now() + 3600_000).toISOString();
    const created = await scheduleMeeting(h, host, {
      startsAt,
      title: "  Planning  ",
      capacity: 500,
      mode: "webinar",
    });
    expect(created).toMatchObject({
      title: "Planning",
      capacity: 500,
      mode: "webinar",
      state: "scheduled",
      myRole: "host",
      settings: {
        recordingAllowed: false,
        recordingRoles: ["host", "co-host"],
        screenShareRoles: ["host", "co-host", "presenter"],
        waitingRoom: false,
      },
    });
    const read = await h.request(`/v1/meetings/${created.id}`, { user: host });
    expect(read.status).toBe(200);
    expect(((await read.json()) as { startsAt: string }).startsAt).toBe(startsAt);

    const mine = (await (await h.request("/v1/meetings", { user: host })).json()) as {
      meetings: { id: string }[];
    };
    expect(mine.meetings.map((m) => m.id)).toContain(created.id);
    const stranger = await h.user();
    const theirs = (await (await h.request("/v1/meetings", { user: stranger })).json()) as {
      meetings: unknown[];
    };
    expect(theirs.meetings).toEqual([]);
    const peek = await h.request(`/v1/meetings/${created.id}`, { user: stranger });
    expect(peek.status).toBe(404);
    expect(((await peek.json()) as { code: string }).code).toBe("meeting_not_found");
  });

  it("pages the list with a cursor and filters by state", async () => {
    const u = await h.user();
    for (let i = 0; i < 5; i++)
      await scheduleMeeting(h, u, { startsAt: new Date(Date.now() + (i + 1) * 60_000).toISOString() });
    const first = (await (await h.request("/v1/meetings?limit=2", { user: u })).json()) as {
      meetings: { id: string }[];
      nextCursor: string;
    };
    expect(first.meetings).toHaveLength(2);
    const second = (await (
      await h.request(`/v1/meetings?limit=2&cursor=${first.nextCursor}`, { user: u })
    ).json()) as {
      meetings: { id: string }[];
    };
    expect(second.meetings).toHaveLength(2);
    expect(second.meetings.map((m) => m.id)).not.toContain(first.meetings[0]?.id);
    const cancelled = (await (await h.request("/v1/meetings?state=cancelled", { user: u })).json()) as {
      meetings: unknown[];
    };
    expect(cancelled.meetings).toEqual([]);
    const bad = await h.request("/v1/meetings?cursor=bm9wZQ", { user: u });
    expect(bad.status).toBe(422);
  });

  it("refuses bad input naming the field and the rule", async () => {
    const res = await h.request("/v1/meetings", {
      method: "POST",
      user: host,
      json: { title: "x", startsAt: "tomorrow", durationMinutes: 30, capacity: 501 },
    });
    expect(res.status).toBe(422);
    const body = (await res.json()) as { errors: { field: string; message: string }[] };
    expect(body.errors).toEqual(
      expect.arrayContaining([
        { field: "startsAt", message: "expected an ISO 8601 date-time with offset" },
        { field: "capacity", message: "expected at most 500" },
      ]),
    );
    const anonymous = await h.request("/v1/meetings");
    expect(anonymous.status).toBe(401);
  });

  it("allows only legal transitions: scheduled → cancelled; nothing after", async () => {
    const m = await scheduleMeeting(h, host);
    const end = await h.request(`/v1/meetings/${m.id}/end`, { method: "POST", user: host });
    expect(end.status).toBe(409);
    expect(((await end.json()) as { code: string; detail: string }).detail).toMatch(
      /cannot end a meeting that is scheduled/,
    );
    const patched = await h.request(`/v1/meetings/${m.id}`, {
      method: "PATCH",
      user: host,
      json: { title: "Renamed", settings: { recordingAllowed: true } },
    });
    expect(patched.status).toBe(200);
    expect(await patched.json()).toMatchObject({ title: "Renamed", settings: { recordingAllowed: true } });
    const cancel = await h.request(`/v1/meetings/${m.id}/cancel`, { method: "POST", user: host });
    expect(cancel.status).toBe(200);
    expect(await cancel.json()).toMatchObject({ state: "cancelled", endedReason: "cancelled_by_host" });
    for (const action of ["cancel", "end"]) {
      const again = await h.request(`/v1/meetings/${m.id}/${action}`, { method: "POST", user: host });
      expect(again.status).toBe(409);
      expect(((await again.json()) as { code: string }).code).toBe("invalid_transition");
    }
    const patchAfter = await h.request(`/v1/meetings/${m.id}`, {
      method: "PATCH",
      user: host,
      json: { title: "Late" },
    });
    expect(patchAfter.status).toBe(409);
    const join = await h.request(`/v1/meetings/${m.id}/join`, { method: "POST", user: host });
    expect(join.status).toBe(409);
    expect(((await join.json()) as { code: string }).code).toBe("meeting_over");
  });

  it("keeps moderation to the host and co-hosts", async () => {
    const m = await scheduleMeeting(h, host);
    const attendee = await h.user();
    const cohost = await h.user();
    await addMember(h, m.id, host, attendee);
    await addMember(h, m.id, host, cohost, "co-host");
    const forbidden = await h.request(`/v1/meetings/${m.id}/cancel`, { method: "POST", user: attendee });
    expect(forbidden.status).toBe(403);
    const invite = await h.request(`/v1/meetings/${m.id}/invitations`, {
      method: "POST",
      user: attendee,
      json: { kind: "link", maxUses: 1, expiresInSeconds: 60 },
    });
    expect(invite.status).toBe(403);
    const promote = await h.request(`/v1/meetings/${m.id}/members/${attendee.id}/role`, {
      method: "PUT",
      user: cohost,
      json: { role: "presenter" },
    });
    expect(promote.status).toBe(200);
    expect(await promote.json()).toMatchObject({ userId: attendee.id, role: "presenter" });
    const demoteHost = await h.request(`/v1/meetings/${m.id}/members/${host.id}/role`, {
      method: "PUT",
      user: cohost,
      json: { role: "attendee" },
    });
    expect(demoteHost.status).toBe(409);
    const members = (await (await h.request(`/v1/meetings/${m.id}/members`, { user: attendee })).json()) as {
      members: { userId: string; role: string }[];
    };
    expect(Object.fromEntries(members.members.map((x) => [x.userId, x.role]))).toEqual({
      [host.id]: "host",
      [attendee.id]: "presenter",
      [cohost.id]: "co-host",
    });
  });
});

describe("invitations", () => {
  it("a link admits up to its use limit with the role it carries, then is used up", async () => {
    const m = await scheduleMeeting(h, host);
    const res = await h.request(`/v1/meetings/${m.id}/invitations`, {
      method: "POST",
      user: host,
      json: { kind: "link", role: "presenter", maxUses: 2, expiresInSeconds: 3600 },
    });
    expect(res.status).toBe(201);
    const { code, id } = (await res.json()) as { code: string; id: string };
    expect(code).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const [a, b, c] = [await h.user(), await h.user(), await h.user()];
    const accepted = await Promise.all(
      [a, b, c].map((u) => h.request("/v1/invitations/accept", { method: "POST", user: u, json: { code } })),
    );
    const statuses = accepted.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 200, 410]);
    const ok = accepted.find((r) => r.status === 200)!;
    expect(await ok.json()).toMatchObject({ id: m.id, myRole: "presenter" });
    const list = (await (await h.request(`/v1/meetings/${m.id}/invitations`, { user: host })).json()) as {
      invitations: { id: string; uses: number; maxUses: number }[];
    };
    expect(list.invitations.find((i) => i.id === id)).toMatchObject({ uses: 2, maxUses: 2 });
    expect(JSON.stringify(list)).not.toContain(code);
  });

  it("an email invitation is single-use and bound to its address; revoked and expired codes are refused clearly", async () => {
    const m = await scheduleMeeting(h, host);
    const email = await h.request(`/v1/meetings/${m.id}/invitations`, {
      method: "POST",
      user: host,
      json: { kind: "email", email: "Guest@Example.com", role: "co-host" },
    });
    expect(email.status).toBe(201);
    const created = (await email.json()) as { code: string; id: string; email: string; maxUses: number };
    expect(created).toMatchObject({ email: "guest@example.com", maxUses: 1 });
    const stranger = await h.request("/v1/invitations/accept", {
      method: "POST",
      user: await h.user("someone.else@example.com"),
      json: { code: created.code },
    });
    expect(stranger.status).toBe(403);
    expect(((await stranger.json()) as { code: string }).code).toBe("invitation_email_mismatch");
    const guest = await h.user("guest@example.com");
    const ok = await h.request("/v1/invitations/accept", {
      method: "POST",
      user: guest,
      json: { code: created.code },
    });
    expect(await ok.json()).toMatchObject({ myRole: "co-host" });
    const again = await h.request("/v1/invitations/accept", {
      method: "POST",
      user: guest,
      json: { code: created.code },
    });
    expect(again.status).toBe(200);
    const after = (await (await h.request(`/v1/meetings/${m.id}/invitations`, { user: host })).json()) as {
      invitations: { id: string; uses: number }[];
    };
    expect(after.invitations.find((i) => i.id === created.id)?.uses).toBe(1);

    const link = (await (
      await h.request(`/v1/meetings/${m.id}/invitations`, {
        method: "POST",
        user: host,
        json: { kind: "link", maxUses: 5, expiresInSeconds: 60 },
      })
    ).json()) as { code: string; id: string };
    const revoke = await h.request(`/v1/meetings/${m.id}/invitations/${link.id}`, {
      method: "DELETE",
      user: host,
    });
    expect(await revoke.json()).toMatchObject({ revoked: true });
    const revoked = await h.request("/v1/invitations/accept", {
      method: "POST",
      user: await h.user(),
      json: { code: link.code },
    });
    expect(((await revoked.json()) as { code: string }).code).toBe("invitation_revoked");

    const soon = (await (
      await h.request(`/v1/meetings/${m.id}/invitations`, {
        method: "POST",
        user: host,
        json: { kind: "link", maxUses: 5, expiresInSeconds: 60 },
      })
    ).json()) as { code: string; id: string };
    await h.db.sql`update invitations set expires_at = now() - interval '1 second' where id = ${soon.id}`;
    const expired = await h.request("/v1/invitations/accept", {
      method: "POST",
      user: await h.user(),
      json: { code: soon.code },
    });
    expect(expired.status).toBe(410);
    expect(((await expired.json()) as { code: string }).code).toBe("invitation_expired");
    const unknown = await h.request("/v1/invitations/accept", {
      method: "POST",
      user: await h.user(),
      json: { code: "A".repeat(43) },
    });
    expect(unknown.status).toBe(404);
  });

  it("an attendee cannot join before the host starts the meeting", async () => {
    const m = await scheduleMeeting(h, host);
    const attendee = await h.user();
    await addMember(h, m.id, host, attendee);
    const res = await h.request(`/v1/meetings/${m.id}/join`, { method: "POST", user: attendee });
    expect(res.status).toBe(409);
    expect(((await res.json()) as { code: string }).code).toBe("meeting_not_started");
  });
});
