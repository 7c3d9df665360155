import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { mediaNodesNeeded } from "../src/media-nodes-needed.ts";
import { presignS3Url } from "../src/s3-presign.ts";
import { type MeetingsHarness, metricValue, startMeetingsHarness, type User } from "./harness.ts";

const scaling = { largeMeetingThreshold: 100, nodeParticipants: 500, headroomPercent: 20, leadSeconds: 900 };

describe("mediaNodesNeeded", () => {
  it("gives each large meeting its own node, packs small ones, adds headroom", () => {
    expect(mediaNodesNeeded([], scaling)).toBe(0);
    expect(mediaNodesNeeded([500], { ...scaling, headroomPercent: 0 })).toBe(1);
    expect(mediaNodesNeeded([101, 101], { ...scaling, headroomPercent: 0 })).toBe(2);
    expect(mediaNodesNeeded([100, 100, 100, 100, 100], { ...scaling, headroomPercent: 0 })).toBe(1);
    expect(mediaNodesNeeded([100, 100, 100, 100, 100, 10], { ...scaling, headroomPercent: 0 })).toBe(2);
    expect(mediaNodesNeeded(Array(100).fill(500), scaling)).toBe(120);
  });

  it("never fewer nodes than large meetings, nor than participants / node size", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 2, max: 500 }), { maxLength: 60 }),
        fc.integer({ min: 0, max: 100 }),
        (caps, headroom) => {
          const config = { ...scaling, headroomPercent: headroom };
          const n = mediaNodesNeeded(caps, config);
          const large = caps.filter((c) => c > 100).length;
          const smallSum = caps.filter((c) => c <= 100).reduce((a, b) => a + b, 0);
          const bare = mediaNodesNeeded(caps, { ...config, headroomPercent: 0 });
          expect(bare).toBeGreaterThanOrEqual(large + Math.ceil(smallSum / 500));
          expect(n).toBe(Math.ceil((bare * (100 + headroom)) / 100));
        },
      ),
    );
  });
});

describe("presignS3Url", () => {
  it("reproduces AWS's published SigV4 presigned-URL example", () => {
    // docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html, "Example".
    const url = presignS3Url({
      method: "GET",
      endpoint: "https://s3.amazonaws.com",
      region: "us-east-1",
      bucket: "examplebucket",
      key: "test.txt",
      accessKey: "AKIAIOSFODNN7EXAMPLE",
      secretKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
      expiresSeconds: 86_400,
      now: new Date("2013-05-24T00:00:00Z"),
      virtualHosted: true,
    });
    expect(new URL(url).searchParams.get("X-Amz-Signature")).toBe(
      "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404",
    );
  });

  it("refuses lifetimes S3 does not accept", () => {
    const base = {
      method: "GET" as const,
      endpoint: "https://sgp1.digitaloceanspaces.com",
      region: "sgp1",
      bucket: "b-1",
      key: "k",
      accessKey: "a",
      secretKey: "s",
    };
    expect(() => presignS3Url({ ...base, expiresSeconds: 604_801 })).toThrow(/between 1 and 604800/);
  });
});

/** The gauge read from /metrics while scheduled and live meetings change under it. */
describe("gomeet_media_nodes_needed", () => {
  let h: MeetingsHarness;
  let host: User;
  beforeAll(async () => {
    h = await startMeetingsHarness(inject("postgresAdminUrl"), "meetings_media_nodes", {
      config: {
        scaling: {
          largeMeetingThreshold: 100,
          nodeParticipants: 500,
          headroomPercent: 50,
          leadSeconds: 1800,
        },
      },
    });
    host = await h.user();
  });
  afterAll(async () => h.stop());

  const gauge = async () => {
    const text = await (await h.request("/metrics")).text();
    return {
      now: metricValue(text, "gomeet_media_nodes_needed", { window: "now" }),
      lead: metricValue(text, "gomeet_media_nodes_needed", { window: "lead" }),
    };
  };
  const schedule = async (capacity: number, inMinutes: number, durationMinutes = 60) => {
    const res = await h.request("/v1/meetings", {
      method: "POST",
      user: host,
      json: {
        title: "m",
        startsAt: new Date(Date.now() + inMinutes * 60_000).toISOString(),
        durationMinutes,
        capacity,
      },
    });
    return ((await res.json()) as { id: string }).id;
  };
  const goLive = (id: string) =>
    h.db.sql`update meetings set state = 'live', started_at = now() where id = ${id}`;

  it("counts live meetings now and meetings starting within the lead time", async () => {
    expect(await gauge()).toEqual({ now: 0, lead: 0 });
    const big1 = await schedule(500, 10);
    const big2 = await schedule(500, 20);
    await schedule(500, 45); // beyond the 30-minute lead
    const small = [await schedule(50, 5), await schedule(50, 5), await schedule(50, 5)];
    // lead: 2 large + 150 small packed on 1 node = 3, × 1.5 headroom = 4.5 → 5.
    expect(await gauge()).toEqual({ now: 0, lead: 5 });
    await goLive(big1);
    for (const id of small) await goLive(id);
    // now: 1 large + 1 packed = 2 × 1.5 = 3; lead unchanged (live ones still run at now + 30 min).
    expect(await gauge()).toEqual({ now: 3, lead: 5 });
    await h.db.sql`update meetings set state = 'ended' where id = ${big1}`;
    await h.db.sql`update meetings set state = 'cancelled' where id = ${big2}`;
    // now: 1 packed × 1.5 = 2; lead: the same small ones (the 45-minute one still outside).
    expect(await gauge()).toEqual({ now: 2, lead: 2 });
    // A live meeting that is over before the lead time elapses no longer counts for it.
    const short = await schedule(500, 0, 10);
    await goLive(short);
    expect(await gauge()).toEqual({ now: 3, lead: 2 });
  });
});
