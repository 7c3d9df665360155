import { dispose } from "@livekit/rtc-node";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { authFixtures } from "./fixtures/auth.ts";
import { type Cast, castOf, N } from "./fixtures/cast.ts";
import { meetingsCoreFixtures } from "./fixtures/meetings-core.ts";
import { type LiveResources, meetingsLiveFixtures } from "./fixtures/meetings-live.ts";
import { ChatCampaign } from "./support/chat-scenarios.ts";
import { brokenInvariants } from "./support/invariants.ts";
import {
  fetchOpenApi,
  type MutatingOperation,
  mutatingOperations,
  type OpenApiDocument,
} from "./support/openapi.ts";
import { type Fixture, fireAtOnce, judge, type ScenarioKind, summary } from "./support/scenario.ts";
import { NeedsFixture, validBody } from "./support/schema-body.ts";
import { World } from "./support/world.ts";

/**
 * The concurrency campaign: every mutating operation the running auth, meetings and chat services declare in
 * their OpenAPI documents gets N identical requests at once (one actor) and N conflicting ones (different
 * actors), against the real processes and their real PostgreSQL, redis-server and livekit-server. Each answer
 * must be one a serial order of the same requests could give (never a 5xx), and afterwards the stored state must
 * keep its invariants (support/invariants.ts). An operation the table below does not know fails the suite.
 */
let world: World;
let operations: MutatingOperation[];
let fixtures: Record<string, Fixture>;
let cast: Cast;
let chat: ChatCampaign;
const live: LiveResources = { rooms: [], tracks: [] };
const docs = new Map<string, OpenApiDocument>();
const report: string[] = [];

beforeAll(async () => {
  world = await World.start(inject("postgresAdminUrl"));
  const services = { auth: world.authUrl, meetings: world.meetingsUrl, chat: world.plane.chat.baseUrl };
  operations = [];
  for (const [service, url] of Object.entries(services)) {
    const doc = await fetchOpenApi(url);
    docs.set(service, doc);
    operations.push(...mutatingOperations(service, doc));
  }
  cast = await castOf(world);
  chat = new ChatCampaign(world);
  const admins = [await world.account("admin1"), await world.account("admin2")] as const;
  for (const admin of admins) await world.makeAdmin(admin);
  const body = (service: string) => (key: string) => {
    const op = operations.find((o) => o.service === service && o.key === key);
    if (!op?.bodySchema) throw new NeedsFixture(`${key} declares no JSON body`);
    return validBody(docs.get(service)!, op.bodySchema);
  };
  fixtures = {
    ...authFixtures(world, [admins[0], admins[1]]),
    ...meetingsCoreFixtures(world, cast, body("meetings")),
    ...meetingsLiveFixtures(world, cast, body("meetings"), live),
  };
}, 300_000);

afterAll(async () => {
  if (report.length > 0) console.info(`concurrency campaign, N = ${N}:\n${report.join("\n")}`);
  await chat?.close();
  for (const track of live.tracks) await track.close().catch(() => undefined);
  for (const room of live.rooms) await room.disconnect().catch(() => undefined);
  await dispose();
  await world?.stop();
}, 120_000);

describe("concurrency campaign", () => {
  it("finds the mutating operations of all three services and has a fixture for each", () => {
    expect(operations.filter((o) => o.service === "auth").length).toBeGreaterThanOrEqual(12);
    expect(operations.filter((o) => o.service === "meetings").length).toBeGreaterThanOrEqual(24);
    const missing = operations.filter((o) => !fixtures[`${o.key}`]).map((o) => `${o.service}: ${o.key}`);
    expect(missing, "operations without a fixture (add one to test/concurrency/fixtures)").toEqual([]);
    const stale = Object.keys(fixtures).filter((key) => !operations.some((o) => o.key === key));
    expect(stale, "fixtures for operations no document declares").toEqual([]);
  });

  it("fires N identical and N conflicting requests at every operation: no 5xx, serial outcomes, invariants hold", async () => {
    const failures: string[] = [];
    for (const op of operations) {
      const fixture = fixtures[op.key];
      if (!fixture) continue;
      for (const kind of ["identical", "conflicting"] as ScenarioKind[]) {
        const label = `${op.service} ${op.key} [${kind}]`;
        try {
          const scenario = await fixture[kind]();
          const base = op.service === "auth" ? world.authUrl : world.meetingsUrl;
          const answers = await fireAtOnce(base, scenario.requests);
          const problems = judge(answers, scenario.expect, op.documentedStatuses);
          problems.push(...((await scenario.after?.()) ?? []));
          problems.push(...(await brokenInvariants(world)).map((p) => `invariant: ${p}`));
          const gap = scenario.expect.unavailable;
          const note =
            gap && answers.some((a) => a.code === gap.code) ? ` (${gap.code}: ${gap.because})` : "";
          report.push(`${problems.length === 0 ? "ok  " : "FAIL"} ${label}: ${summary(answers)}${note}`);
          failures.push(...problems.map((p) => `${label}: ${p}`));
        } catch (error) {
          report.push(`FAIL ${label}: ${(error as Error).message}`);
          failures.push(`${label}: the scenario could not run: ${(error as Error).stack ?? error}`);
        }
      }
    }
    expect(failures).toEqual([]);
  }, 900_000);

  it("chat's mutating frames over its WebSocket: identical sends store once, racing deletes delete once", async () => {
    const meetingId = await world.meeting(cast.host, { live: true, members: [[cast.cohost, "co-host"]] });
    const problems = [
      ...(await chat.identicalSends(cast.host, meetingId)).map((p) => `send [identical]: ${p}`),
      ...(await chat.conflictingDeletes(cast.host, cast.cohost, meetingId)).map(
        (p) => `delete [conflicting]: ${p}`,
      ),
      ...(await chat.brokenInvariants()).map((p) => `invariant: ${p}`),
    ];
    report.push(
      `${problems.length === 0 ? "ok  " : "FAIL"} chat WebSocket send [identical] and delete [conflicting]`,
    );
    expect(problems).toEqual([]);
  });
});
