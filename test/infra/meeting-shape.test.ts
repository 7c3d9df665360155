import { beforeAll, describe, expect, it } from "vitest";
import { clientSettingsFor } from "../../apps/meetings/src/client-settings.ts";
import { readMeetingsEnv } from "../../apps/meetings/src/config.ts";
import { defaultAssumptions } from "../../catalogue/assumptions.ts";
import { dropletSize } from "../../catalogue/droplet-sizes.ts";
import { roomLoad } from "../../catalogue/room-model.ts";
import { planTurn } from "../../catalogue/turn-capacity.ts";
import { meetingShape, meetingTraffic, planCapacity } from "../../infra/capacity/planner.ts";
import { planCost } from "../../infra/plan/cost.ts";
import type { PlanGraph } from "../../infra/plan/engine.ts";
import { planInline } from "../../infra/plan/plan.ts";
import { loadPlatformConfig } from "../../stacks/loader.ts";
import { named } from "./stack-helpers.ts";

const overrides = { cluster: { controlPlaneAllowList: ["203.0.113.7/32"] } };

describe("one meeting shape: what the plan prices is what clients show by default", () => {
  const config = loadPlatformConfig({ environment: "staging", overrides, stack: "staging" });
  let graph: PlanGraph;
  let tiles: number;
  beforeAll(async () => {
    graph = await planInline({ stack: "staging", environment: "staging", overrides });
    const deployment = named(graph, "kubernetes:apps/v1:Deployment", "meetings-deployment");
    const env = (
      deployment.inputs.spec as {
        template: { spec: { containers: { env: { name: string; value?: string }[] }[] } };
      }
    ).template.spec.containers[0]!.env;
    tiles = Number(env.find((e) => e.name === "MEETINGS_VIDEO_TILES")?.value);
  }, 120_000);

  it("hands meetings the planner's default layout, which its clients get for a meeting of the target size", () => {
    expect(tiles).toBe(defaultAssumptions().tilesPerViewer);
    const p = config.media.participantsPerMeeting;
    const plan = planCapacity({
      meetings: config.media.targetMeetings,
      participants: p,
      turnSize: config.turn.size,
      assumptions: defaultAssumptions(),
    });
    expect(plan.viewingShape.tilesPerViewer).toBe(tiles);
    const env = readMeetingsEnv({
      MEETINGS_VIDEO_TILES: String(tiles),
      DATABASE_URL: "postgresql://m:pw@pool:25061/meetings",
      REDIS_URL: "rediss://default:pw@valkey:25061",
      AUTH_JWKS_URL: "http://auth:8080/.well-known/jwks.json",
      AUTH_ISSUER: "https://api.example.com",
      LIVEKIT_URL: "wss://livekit.example.com",
      LIVEKIT_API_URL: "http://livekit:7880",
      LIVEKIT_API_KEY: "key",
      LIVEKIT_API_SECRET: "s".repeat(40),
      RECORDINGS_BUCKET: "gomeet-staging-recordings",
      RECORDINGS_ACCESS_KEY: "a",
      RECORDINGS_SECRET_KEY: "b",
    });
    expect(clientSettingsFor(p, "meeting", env.MEETINGS_VIDEO_TILES).maxVisibleVideoTiles).toBe(tiles);
  });

  it("prices the plan's transfer at exactly that many tiles per viewer", () => {
    const usage = {
      meetings: config.media.targetMeetings,
      participants: config.media.participantsPerMeeting,
      hoursPerMonth: config.media.meetingHoursPerMonth,
    };
    // Transfer depends on the usage and the media fleet only; the rest of the graph is priced elsewhere.
    const fleet = graph.resources.filter((r) =>
      [
        "kubernetesCluster:KubernetesCluster",
        "kubernetesNodePool:KubernetesNodePool",
        "droplet:Droplet",
      ].some((t) => r.type.endsWith(t)),
    );
    const cost = planCost({ ...graph, resources: fleet }, usage);
    const a = { ...defaultAssumptions(), tilesPerViewer: tiles };
    const load = roomLoad(meetingShape(usage.participants, undefined, a), {
      packetsPerSecondPerVcpu: a.ppsPerVcpu,
      cpuCap: a.cpuCap,
    });
    const turn = planTurn(
      dropletSize("c-4-intel"),
      usage.meetings,
      usage.participants,
      load,
      a.relayShare,
      a.turnNicCap,
    );
    const traffic = meetingTraffic(usage.meetings, load, turn, usage.hoursPerMonth);
    expect(cost.mediaEgressGiB).toBeCloseTo(traffic.mediaEgressGiB, 6);
    expect(cost.turnEgressGiB).toBeCloseTo(traffic.turnEgressGiB, 6);
    // A layout with more tiles would cost more: the equality above is not an accident of the shape.
    const wider = roomLoad(meetingShape(usage.participants, undefined, { ...a, tilesPerViewer: tiles + 1 }), {
      packetsPerSecondPerVcpu: a.ppsPerVcpu,
      cpuCap: a.cpuCap,
    });
    expect(meetingTraffic(usage.meetings, wider, turn, usage.hoursPerMonth).mediaEgressGiB).toBeGreaterThan(
      cost.mediaEgressGiB,
    );
  });
});
