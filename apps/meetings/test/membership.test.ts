import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import {
  addMember,
  type MeetingsHarness,
  scheduleMeeting,
  startMeetingsHarness,
  type User,
} from "./harness.ts";

/** The in-cluster membership check chat relies on (docs/services/chat.md "Membership"). */
let h: MeetingsHarness;
let host: User;
beforeAll(async () => {
  h = await startMeetingsHarness(inject("postgresAdminUrl"), "meetings_membership");
  host = await h.user();
});
afterAll(async () => h.stop());

const check = async (meetingId: string, userId: string) => {
  const res = await h.request(`/internal/meetings/${meetingId}/members/${userId}`);
  return { status: res.status, body: (await res.json()) as { role?: string; code?: string } };
};

describe("GET /internal/meetings/{id}/members/{userId}", () => {
  it("answers each member's role, and 404 for strangers, removed members and cancelled meetings", async () => {
    const meeting = await scheduleMeeting(h, host, {
      startsAt: new Date(Date.now() + 3600_000).toISOString(),
    });
    const presenter = await h.user();
    const attendee = await h.user();
    await addMember(h, meeting.id, host, presenter, "presenter");
    await addMember(h, meeting.id, host, attendee);

    expect(await check(meeting.id, host.id)).toEqual({ status: 200, body: { role: "host" } });
    expect(await check(meeting.id, presenter.id)).toEqual({ status: 200, body: { role: "presenter" } });
    expect(await check(meeting.id, attendee.id)).toEqual({ status: 200, body: { role: "attendee" } });

    const stranger = await h.user();
    expect(await check(meeting.id, stranger.id)).toMatchObject({
      status: 404,
      body: { code: "not_a_member" },
    });

    const removed = await h.request(`/v1/meetings/${meeting.id}/participants/${attendee.id}/remove`, {
      method: "POST",
      user: host,
    });
    expect(removed.status).toBe(200);
    expect(await check(meeting.id, attendee.id)).toMatchObject({
      status: 404,
      body: { code: "not_a_member" },
    });

    const cancelled = await h.request(`/v1/meetings/${meeting.id}/cancel`, { method: "POST", user: host });
    expect(cancelled.status).toBe(200);
    expect(await check(meeting.id, host.id)).toMatchObject({ status: 404 });
  });

  it("refuses ids that are not UUIDs, naming the field", async () => {
    const res = await check("not-a-uuid", host.id);
    expect(res.status).toBe(422);
    expect(res.body.code).toBe("validation_failed");
  });
});
