import { type DropletSize, dropletSize } from "../../catalogue/droplet-sizes.ts";
import {
  databaseNodeMonthlyUsd,
  registryMonthlyUsd,
  SERVICE_PRICES,
} from "../../catalogue/service-prices.ts";
import { dropletCostUsd } from "../capacity/transfer.ts";
import { inputRecord, kubernetesBilled } from "./cost-kubernetes.ts";
import { priceUsage } from "./cost-usage.ts";
import type { PlanGraph } from "./engine.ts";

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
        groups.push(poolGroup(String(inputRecord(i.nodePool).name ?? "default"), inputRecord(i.nodePool)));
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
