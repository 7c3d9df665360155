import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { execFileAsync } from "../../test/support/processes.ts";
import type { CapacityPlan } from "../capacity/planner.ts";
import { planCost } from "./cost.ts";
import { declaredUsage } from "./declared-usage.ts";
import type { PlanGraph, PlannedResource } from "./engine.ts";
import { PROJECT_ROOT, planStack } from "./plan.ts";

const TSX = join(PROJECT_ROOT, "node_modules/.bin/tsx");

async function capacityCli(args: string[]): Promise<CapacityPlan> {
  const { stdout } = await execFileAsync(TSX, ["infra/capacity/cli.ts", ...args, "--json"], {
    cwd: PROJECT_ROOT,
  });
  return JSON.parse(stdout) as CapacityPlan;
}

/** `npm run plan` exits 1 while mandatory policies fail elsewhere in the stack; the cost section prints anyway. */
async function planCli(stack: string): Promise<string> {
  try {
    return (await execFileAsync(TSX, ["infra/plan/cli.ts", "--stack", stack], { cwd: PROJECT_ROOT })).stdout;
  } catch (error) {
    return (error as { stdout: string }).stdout;
  }
}

const dollars = (text: string) => Number(text.replace(/[$,]/g, ""));

describe("npm run capacity and npm run plan agree for production", () => {
  it("shows the same media pool, TURN fleet, traffic and costs", async () => {
    const [capacity, plan] = await Promise.all([
      capacityCli(["--meetings", "100", "--participants", "500"]),
      planCli("production"),
    ]);
    const media = /^ {2}media +(\d+)–(\d+) × (\S+) +(\$[\d,.]+) +(\$[\d,.]+)$/m.exec(plan);
    expect(media, plan).not.toBeNull();
    const [, min, max, size, atMin, atMax] = media as unknown as string[];
    expect([Number(min), Number(max), size]).toEqual([
      capacity.media.minNodes,
      capacity.media.maxNodes,
      capacity.media.size.slug,
    ]);
    expect(dollars(atMax as string)).toBeCloseTo(capacity.mediaPoolAtMaxMonthlyUsd, 2);
    expect(dollars(atMin as string)).toBeCloseTo(capacity.costRows[0]?.monthlyUsd ?? Number.NaN, 2);

    const turn = /^ {2}gomeet-production-turn +(\d+) × (\S+) +(\$[\d,.]+)/m.exec(plan);
    expect([Number(turn?.[1]), turn?.[2]]).toEqual([capacity.turn.droplets, capacity.turn.size.slug]);
    expect(dollars(turn?.[3] ?? "")).toBeCloseTo(capacity.costRows[2]?.monthlyUsd ?? Number.NaN, 2);

    const traffic = /outbound: media ([\d,]+) GiB \+ TURN ([\d,]+) GiB/.exec(plan);
    expect(Number(traffic?.[1]?.replace(/,/g, ""))).toBe(Math.round(capacity.traffic.mediaEgressGiB));
    expect(Number(traffic?.[2]?.replace(/,/g, ""))).toBe(Math.round(capacity.traffic.turnEgressGiB));
    const added =
      /media nodes above the minimum for the meeting-hours: (\d+) × \S+ × (\d+) h = (\$[\d,.]+)/.exec(plan);
    expect(Number(added?.[2])).toBe(capacity.traffic.hours);
    expect(dollars(added?.[3] ?? "")).toBeCloseTo(capacity.costRows[1]?.monthlyUsd ?? Number.NaN, 2);
  });
});

describe("docs/capacity.md hand calculation", () => {
  it("matches the planner's numbers for 100 × 500", async () => {
    const doc = readFileSync(join(PROJECT_ROOT, "docs/capacity.md"), "utf8");
    const block = /```hand-calculation\n([\s\S]*?)```/.exec(doc)?.[1];
    expect(block, "docs/capacity.md has a hand-calculation block").toBeDefined();
    const hand = Object.fromEntries(
      (block ?? "")
        .trim()
        .split("\n")
        .map((line) => line.split(" = ").map((s) => s.trim()) as [string, string]),
    );
    const p = await capacityCli(["--meetings", "100", "--participants", "500"]);
    const computed: Record<string, number | string> = {
      "forwarded packets/s per room": p.load.forwardedPacketsPerSecond,
      "egress Gbps per room": p.load.egressGbps,
      "vCPU per room": p.load.vcpusNeeded,
      "media node size": p.media.size.slug,
      "media minNodes": p.media.minNodes,
      "media maxNodes": p.media.maxNodes,
      "media pool at maxNodes $/month": p.mediaPoolAtMaxMonthlyUsd,
      "TURN droplets": p.turn.droplets,
      "TURN relayed Gbps": p.turn.relayGbps,
      "media egress GiB": p.traffic.mediaEgressGiB,
      "TURN egress GiB": p.traffic.turnEgressGiB,
      "pooled allowance GiB": p.transfer.allowanceGiB,
      "overage $": p.transfer.overageUsd,
      "total $/month": p.totalMonthlyUsd,
      "$ per participant-hour": p.costPerParticipantHourUsd,
    };
    expect(Object.keys(hand).sort()).toEqual(Object.keys(computed).sort());
    for (const [name, written] of Object.entries(hand)) {
      const value = computed[name];
      if (typeof value === "string") {
        expect(written, name).toBe(value);
        continue;
      }
      // The document rounds to the digits it shows.
      const digits = written.includes(".") ? (written.split(".")[1]?.length ?? 0) : 0;
      expect(Math.abs(Number(written) - (value ?? Number.NaN)), name).toBeLessThanOrEqual(
        0.5 * 10 ** -digits,
      );
    }
  });
});

function resource(type: string, name: string, inputs: Record<string, unknown>): PlannedResource {
  return {
    urn: `${type}::${name}`,
    type,
    name,
    custom: true,
    dependencies: [],
    inputs,
    secretInputs: [],
    protect: false,
  };
}

describe("plan cost", () => {
  const usage = { meetings: 2, participants: 500, hoursPerMonth: 20 };
  const graph = (resources: PlannedResource[]): PlanGraph => ({
    project: "gomeet",
    stack: "t",
    resources,
    outputs: {},
    secretOutputs: [],
  });

  it("adds its lines up to the fixed totals, for the staging plan", async () => {
    const cost = planCost(await planStack("staging"), declaredUsage("staging", PROJECT_ROOT));
    expect(cost.fixedMinUsd).toBeCloseTo(
      cost.lines.reduce((s, l) => s + l.minUsd, 0),
      6,
    );
    expect(cost.fixedMaxUsd).toBeCloseTo(
      cost.lines.reduce((s, l) => s + l.maxUsd, 0),
      6,
    );
    expect(cost.mediaPool?.maxNodes).toBe(3);
    expect(cost.expectedMonthUsd).toBeCloseTo(cost.fixedMinUsd + cost.scaledMediaUsd + cost.overageUsd, 6);
  });

  it("prices pools, databases, load balancers and volumes from the recorded inputs", () => {
    const cost = planCost(
      graph([
        resource("digitalocean:index/kubernetesNodePool:KubernetesNodePool", "p", {
          name: "media",
          size: "c-16-intel",
          autoScale: true,
          minNodes: 1,
          maxNodes: 3,
        }),
        resource("digitalocean:index/databaseCluster:DatabaseCluster", "db", {
          name: "db",
          engine: "pg",
          size: "db-s-1vcpu-2gb",
          nodeCount: 2,
        }),
        resource("kubernetes:helm.sh/v3:Release", "chart", {
          values: {
            service: {
              type: "LoadBalancer",
              annotations: { "service.beta.kubernetes.io/do-loadbalancer-size-unit": "2" },
            },
            storageSpec: { volumeClaimTemplate: { spec: { resources: { requests: { storage: "50Gi" } } } } },
          },
        }),
      ]),
      usage,
    );
    const byName = Object.fromEntries(cost.lines.map((l) => [l.resource, [l.minUsd, l.maxUsd]]));
    expect(byName).toEqual({
      media: [437, 1311],
      db: [60.9, 60.9],
      "chart load balancer": [24, 24],
      "chart volume": [5, 5],
    });
  });

  it("refuses a DigitalOcean resource it has no price for", () => {
    expect(() => planCost(graph([resource("digitalocean:index/kafka:Kafka", "k", {})]), usage)).toThrow(
      "cost: no price model for digitalocean:index/kafka:Kafka (k)",
    );
  });

  it("names a database size without a recorded price", () => {
    expect(() =>
      planCost(
        graph([
          resource("digitalocean:index/databaseCluster:DatabaseCluster", "db", {
            engine: "pg",
            size: "db-s-16vcpu-64gb",
            nodeCount: 1,
          }),
        ]),
        usage,
      ),
    ).toThrow('no price recorded for managed pg node size "db-s-16vcpu-64gb"');
  });
});
