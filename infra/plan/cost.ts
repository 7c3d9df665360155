import { defaultAssumptions } from "../../catalogue/assumptions.ts";
import { type DropletSize, dropletSize } from "../../catalogue/droplet-sizes.ts";
import { roomLoad } from "../../catalogue/room-model.ts";
import {
  databaseNodeMonthlyUsd,
  loadBalancerNodeMonthlyUsd,
  registryMonthlyUsd,
  SERVICE_PRICES,
} from "../../catalogue/service-prices.ts";
import { planTurn } from "../../catalogue/turn-capacity.ts";
import { loadPlatformConfig } from "../../stacks/loader.ts";
import { meetingShape, meetingTraffic } from "../capacity/planner.ts";
import { type DropletHours, dropletCostUsd, pooledAllowanceGiB, transferBill } from "../capacity/transfer.ts";
import type { PlanGraph, PlannedResource } from "./engine.ts";
import { readStackFile } from "./stack-file.ts";

/** One billed thing the plan would create, priced with every pool at its minimum and at its maximum. */
export interface CostLine {
  resource: string;
  detail: string;
  minUsd: number;
  maxUsd: number;
}

/** A Droplet-billed node group (node pool or Droplets) as recorded in the plan. */
export interface NodeGroup {
  name: string;
  size: DropletSize;
  minNodes: number;
  maxNodes: number;
}

/** The traffic the stack declares (media.targetMeetings × participantsPerMeeting × meetingHoursPerMonth). */
export interface DeclaredUsage {
  meetings: number;
  participants: number;
  hoursPerMonth: number;
}

export interface PlanCost {
  lines: CostLine[];
  fixedMinUsd: number;
  fixedMaxUsd: number;
  mediaPool?: NodeGroup;
  usage: DeclaredUsage;
  mediaEgressGiB: number;
  turnEgressGiB: number;
  allowanceGiB: number;
  overageGiB: number;
  overageUsd: number;
  /** Media nodes beyond the pool minimum, billed hourly for the meeting-hours. */
  scaledMediaUsd: number;
  expectedMonthUsd: number;
  participantHours: number;
  costPerParticipantHourUsd: number;
}

/** Resource types DigitalOcean does not bill for separately (service-prices.json `free`). */
const FREE_TYPES = new Set([
  "digitalocean:index/vpc:Vpc",
  "digitalocean:index/firewall:Firewall",
  "digitalocean:index/databaseFirewall:DatabaseFirewall",
  "digitalocean:index/databaseDb:DatabaseDb",
  "digitalocean:index/databaseUser:DatabaseUser",
  "digitalocean:index/databaseConnectionPool:DatabaseConnectionPool",
  "digitalocean:index/databaseValkeyConfig:DatabaseValkeyConfig",
  "digitalocean:index/dnsRecord:DnsRecord",
  "digitalocean:index/domain:Domain",
  "digitalocean:index/project:Project",
  "digitalocean:index/projectResources:ProjectResources",
  "digitalocean:index/tag:Tag",
  "digitalocean:index/monitorAlert:MonitorAlert",
  "digitalocean:index/uptimeAlert:UptimeAlert",
  "digitalocean:index/certificate:Certificate",
  "digitalocean:index/cdn:Cdn",
  "digitalocean:index/spacesKey:SpacesKey",
  "digitalocean:index/reservedIpAssignment:ReservedIpAssignment",
  "digitalocean:index/spacesBucketCorsConfiguration:SpacesBucketCorsConfiguration",
  "digitalocean:index/spacesBucketPolicy:SpacesBucketPolicy",
  // Objects draw on the Spaces subscription's storage, which the bucket line prices.
  "digitalocean:index/spacesBucketObject:SpacesBucketObject",
]);

const num = (v: unknown, fallback: number): number => (typeof v === "number" ? v : fallback);
const obj = (v: unknown): Record<string, unknown> =>
  v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

function poolGroup(name: string, pool: Record<string, unknown>): NodeGroup {
  const size = dropletSize(String(pool.size));
  const fixed = num(pool.nodeCount, 1);
  const autoScale = pool.autoScale === true;
  return {
    name,
    size,
    minNodes: autoScale ? num(pool.minNodes, fixed) : fixed,
    maxNodes: autoScale ? num(pool.maxNodes, fixed) : fixed,
  };
}

function gibFromQuantity(q: unknown): number {
  const m = /^(\d+(?:\.\d+)?)(Gi|Ti|Mi)$/.exec(String(q));
  if (!m) throw new Error(`cost: cannot read storage quantity ${JSON.stringify(q)}`);
  const value = Number(m[1]);
  return m[2] === "Ti" ? value * 1024 : m[2] === "Mi" ? value / 1024 : value;
}

/** Load balancers and volumes that Kubernetes objects (plain or inside Helm values) ask DigitalOcean for. */
function kubernetesBilled(r: PlannedResource, lines: CostLine[]): void {
  const walk = (value: unknown, path: string): void => {
    if (Array.isArray(value)) {
      value.forEach((v, i) => {
        walk(v, `${path}[${i}]`);
      });
      return;
    }
    const o = obj(value);
    if (Object.keys(o).length === 0) return;
    const spec = obj(o.spec);
    const isService = o.type === "LoadBalancer" || (o.kind === "Service" && spec.type === "LoadBalancer");
    if (isService) {
      const annotations = obj(o.annotations ?? obj(o.metadata).annotations);
      const nodes = Number(annotations["service.beta.kubernetes.io/do-loadbalancer-size-unit"] ?? 1);
      const type = String(annotations["service.beta.kubernetes.io/do-loadbalancer-type"] ?? "REGIONAL");
      const price = nodes * loadBalancerNodeMonthlyUsd(type);
      lines.push({
        resource: `${r.name} load balancer`,
        detail: `${nodes} × ${type} node`,
        minUsd: price,
        maxUsd: price,
      });
    }
    const claim = o.volumeClaimTemplate ?? (o.kind === "PersistentVolumeClaim" ? o : undefined);
    if (claim) {
      const gib = gibFromQuantity(obj(obj(obj(obj(claim).spec).resources).requests).storage);
      const price = gib * SERVICE_PRICES.volume.usd_per_gib_month;
      lines.push({
        resource: `${r.name} volume`,
        detail: `${gib} GiB`,
        minUsd: price,
        maxUsd: price,
      });
      return;
    }
    for (const [k, v] of Object.entries(o)) walk(v, path ? `${path}.${k}` : k);
  };
  walk(r.inputs, "");
}

/**
 * The monthly cost of what the plan would create, read from the recorded resources and their inputs (sizes,
 * node counts, pool bounds), plus the bandwidth of the declared meeting-hours.
 */
export function planCost(graph: PlanGraph, usage: DeclaredUsage): PlanCost {
  const lines: CostLine[] = [];
  const groups: NodeGroup[] = [];
  let spaces = false;
  let reservedIps = 0;
  let assignments = 0;
  for (const r of graph.resources.filter((x) => x.custom)) {
    const i = r.inputs;
    switch (r.type) {
      case "digitalocean:index/kubernetesCluster:KubernetesCluster": {
        if (i.ha === true) {
          const price = SERVICE_PRICES.doks_ha_control_plane.monthly_usd;
          lines.push({
            resource: `${r.name} HA control plane`,
            detail: "DOKS",
            minUsd: price,
            maxUsd: price,
          });
        }
        groups.push(poolGroup(String(obj(i.nodePool).name ?? "default"), obj(i.nodePool)));
        break;
      }
      case "digitalocean:index/kubernetesNodePool:KubernetesNodePool":
        groups.push(poolGroup(String(i.name ?? r.name), i));
        break;
      case "digitalocean:index/droplet:Droplet":
        groups.push({
          name: String(i.name ?? r.name),
          size: dropletSize(String(i.size)),
          minNodes: 1,
          maxNodes: 1,
        });
        break;
      case "digitalocean:index/databaseCluster:DatabaseCluster": {
        const nodes = num(i.nodeCount, 1);
        const price = nodes * databaseNodeMonthlyUsd(String(i.size), String(i.engine));
        lines.push({
          resource: String(i.name ?? r.name),
          detail: `${i.engine} ${nodes} × ${i.size}`,
          minUsd: price,
          maxUsd: price,
        });
        break;
      }
      case "digitalocean:index/databaseReplica:DatabaseReplica": {
        const price = databaseNodeMonthlyUsd(String(i.size), "pg");
        lines.push({
          resource: String(i.name ?? r.name),
          detail: `read-only node ${i.size}`,
          minUsd: price,
          maxUsd: price,
        });
        break;
      }
      case "digitalocean:index/containerRegistry:ContainerRegistry": {
        const price = registryMonthlyUsd(String(i.subscriptionTierSlug));
        lines.push({
          resource: `registry ${i.name}`,
          detail: String(i.subscriptionTierSlug),
          minUsd: price,
          maxUsd: price,
        });
        break;
      }
      case "digitalocean:index/spacesBucket:SpacesBucket":
        spaces = true;
        break;
      case "digitalocean:index/reservedIp:ReservedIp":
        reservedIps++;
        break;
      case "digitalocean:index/reservedIpAssignment:ReservedIpAssignment":
        assignments++;
        break;
      case "digitalocean:index/uptimeCheck:UptimeCheck": {
        const price = SERVICE_PRICES.uptime_check.monthly_usd_per_check;
        lines.push({
          resource: String(i.name ?? r.name),
          detail: "uptime check",
          minUsd: price,
          maxUsd: price,
        });
        break;
      }
      case "digitalocean:index/volume:Volume": {
        const price = num(i.size, 0) * SERVICE_PRICES.volume.usd_per_gib_month;
        lines.push({
          resource: String(i.name ?? r.name),
          detail: `${i.size} GiB volume`,
          minUsd: price,
          maxUsd: price,
        });
        break;
      }
      default:
        if (r.type.startsWith("kubernetes:")) kubernetesBilled(r, lines);
        else if (r.type.startsWith("digitalocean:") && !FREE_TYPES.has(r.type)) {
          throw new Error(`cost: no price model for ${r.type} (${r.name}); add it to infra/plan/cost.ts`);
        }
    }
  }
  if (spaces) {
    const price = SERVICE_PRICES.spaces.subscription_monthly_usd;
    lines.push({
      resource: "Spaces subscription",
      detail: "all buckets, 250 GiB + 1 TiB out",
      minUsd: price,
      maxUsd: price,
    });
  }
  if (reservedIps > assignments) {
    const price = (reservedIps - assignments) * SERVICE_PRICES.reserved_ipv4.unassigned_monthly_usd;
    lines.push({
      resource: "unassigned reserved IPs",
      detail: `${reservedIps - assignments}`,
      minUsd: price,
      maxUsd: price,
    });
  }
  const mergedGroups = mergeDroplets(groups);
  for (const g of mergedGroups) {
    lines.unshift({
      resource: g.name,
      detail:
        g.minNodes === g.maxNodes
          ? `${g.maxNodes} × ${g.size.slug}`
          : `${g.minNodes}–${g.maxNodes} × ${g.size.slug}`,
      minUsd: dropletCostUsd(g.size, g.minNodes, Number.POSITIVE_INFINITY),
      maxUsd: dropletCostUsd(g.size, g.maxNodes, Number.POSITIVE_INFINITY),
    });
  }
  const mediaPool = mergedGroups.find((g) => g.name === "media");
  const priced = priceUsage(mergedGroups, mediaPool, usage);
  const fixed = fixedTotals(lines);
  const expectedMonthUsd = fixed.fixedMinUsd + priced.scaledMediaUsd + priced.overageUsd;
  return {
    ...priced,
    ...fixed,
    lines,
    ...(mediaPool ? { mediaPool } : {}),
    usage,
    expectedMonthUsd,
    costPerParticipantHourUsd: priced.participantHours > 0 ? expectedMonthUsd / priced.participantHours : 0,
  };
}

const money = (v: number) =>
  `$${v.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
const whole = (v: number) => Math.round(v).toLocaleString("en-US");

/** The cost section `npm run plan` prints after the policy report. */
export function renderPlanCost(cost: PlanCost): string {
  const out = [
    "",
    "Monthly cost (DigitalOcean list prices: catalogue/droplet-sizes.json, service-prices.json)",
  ];
  out.push(
    `  ${"resource".padEnd(34)} ${"what".padEnd(34)} ${"at minimum".padStart(14)} ${"at maximum".padStart(14)}`,
  );
  for (const l of cost.lines) {
    out.push(
      `  ${l.resource.padEnd(34)} ${l.detail.padEnd(34)} ${money(l.minUsd).padStart(14)} ${money(l.maxUsd).padStart(14)}`,
    );
  }
  out.push(
    `  ${"fixed total".padEnd(34)} ${"".padEnd(34)} ${money(cost.fixedMinUsd).padStart(14)} ${money(cost.fixedMaxUsd).padStart(14)}`,
  );
  const u = cost.usage;
  out.push(
    `Usage: ${u.meetings} meetings × ${u.participants} participants × ${u.hoursPerMonth} h/month (media.targetMeetings, participantsPerMeeting, meetingHoursPerMonth)`,
  );
  out.push(
    `  outbound: media ${whole(cost.mediaEgressGiB)} GiB + TURN ${whole(cost.turnEgressGiB)} GiB, pooled allowance ${whole(cost.allowanceGiB)} GiB → overage ${whole(cost.overageGiB)} GiB × $0.01 = ${money(cost.overageUsd)}`,
  );
  if (cost.mediaPool) {
    const m = cost.mediaPool;
    out.push(
      `  media nodes above the minimum for the meeting-hours: ${m.maxNodes - m.minNodes} × ${m.size.slug} × ${u.hoursPerMonth} h = ${money(cost.scaledMediaUsd)}`,
    );
  }
  out.push(
    `  expected month (fixed at minimum + added media nodes + overage): ${money(cost.expectedMonthUsd)}; ${whole(cost.participantHours)} participant-hours → $${cost.costPerParticipantHourUsd.toFixed(4)} per participant-hour`,
  );
  return `${out.join("\n")}\n`;
}

function fixedTotals(lines: CostLine[]) {
  return {
    fixedMinUsd: lines.reduce((s, l) => s + l.minUsd, 0),
    fixedMaxUsd: lines.reduce((s, l) => s + l.maxUsd, 0),
  };
}

/** TURN droplets and other single Droplets are listed as one line per size and name prefix. */
function mergeDroplets(groups: NodeGroup[]): NodeGroup[] {
  const out: NodeGroup[] = [];
  for (const g of groups) {
    const key = g.name.replace(/-\d+$/, "");
    const same = out.find((o) => o.name === key && o.size.slug === g.size.slug);
    if (same && key !== g.name) {
      same.minNodes += g.minNodes;
      same.maxNodes += g.maxNodes;
    } else out.push({ ...g, name: key });
  }
  return out;
}

function priceUsage(groups: NodeGroup[], mediaPool: NodeGroup | undefined, usage: DeclaredUsage) {
  const a = defaultAssumptions();
  const load = roomLoad(meetingShape(usage.participants, undefined, a), {
    packetsPerSecondPerVcpu: a.ppsPerVcpu,
    cpuCap: a.cpuCap,
  });
  // The relayed traffic does not depend on the TURN size; the size only sets how many droplets carry it.
  const turn = planTurn(
    mediaPool?.size ?? dropletSize("c-4-intel"),
    usage.meetings,
    usage.participants,
    load,
    a.relayShare,
    a.turnNicCap,
  );
  const traffic = meetingTraffic(usage.meetings, load, turn, usage.hoursPerMonth);
  const scaled = mediaPool ? mediaPool.maxNodes - mediaPool.minNodes : 0;
  const always: DropletHours[] = groups.map((g) => ({
    size: g.size,
    count: g.minNodes,
    hours: Number.POSITIVE_INFINITY,
  }));
  if (mediaPool) always.push({ size: mediaPool.size, count: scaled, hours: usage.hoursPerMonth });
  const bill = transferBill(traffic.totalEgressGiB, pooledAllowanceGiB(always));
  const scaledMediaUsd = mediaPool ? dropletCostUsd(mediaPool.size, scaled, usage.hoursPerMonth) : 0;
  const participantHours = usage.meetings * usage.participants * usage.hoursPerMonth;
  return {
    mediaEgressGiB: traffic.mediaEgressGiB,
    turnEgressGiB: traffic.turnEgressGiB,
    allowanceGiB: bill.allowanceGiB,
    overageGiB: bill.overageGiB,
    overageUsd: bill.overageUsd,
    scaledMediaUsd,
    expectedMonthUsd: 0,
    participantHours,
    costPerParticipantHourUsd: 0,
  };
}

/** The meeting-hours a stack file declares, read the way the program reads its config. */
export function declaredUsage(stack: string, root: string): DeclaredUsage {
  const file = readStackFile(root, stack);
  const overrides = file.config[`${file.project}:overrides`];
  const config = loadPlatformConfig({
    environment: file.config[`${file.project}:environment`],
    ...(overrides !== undefined ? { overrides: JSON.parse(overrides) as unknown } : {}),
    stack,
  });
  return {
    meetings: config.media.targetMeetings,
    participants: config.media.participantsPerMeeting,
    hoursPerMonth: config.media.meetingHoursPerMonth,
  };
}
