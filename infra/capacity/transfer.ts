import type { DropletSize } from "../../catalogue/droplet-sizes.ts";
import { BILLABLE_HOURS_PER_MONTH, TRANSFER_OVERAGE_USD_PER_GIB } from "../../catalogue/service-prices.ts";

const GIB = 2 ** 30;

/** GiB sent in a month by a stream of `gbps` running `hours` hours. */
export function monthlyGiB(gbps: number, hours: number): number {
  return (gbps * 1e9 * 3600 * hours) / 8 / GIB;
}

/** A Droplet or DOKS node and the hours a month it exists. */
export interface DropletHours {
  size: DropletSize;
  count: number;
  hours: number;
}

/**
 * The team's pooled outbound allowance: each Droplet or DOKS node accrues 1/672 of its plan's allowance per hour
 * it exists, up to the plan allowance (docs/sources.md#bandwidth-billing). Sizes without a published allowance add nothing.
 */
export function pooledAllowanceGiB(droplets: readonly DropletHours[]): number {
  let total = 0;
  for (const d of droplets) {
    const hours = Math.min(d.hours, BILLABLE_HOURS_PER_MONTH);
    total += d.count * (d.size.transfer_gib ?? 0) * (hours / BILLABLE_HOURS_PER_MONTH);
  }
  return total;
}

export interface TransferBill {
  egressGiB: number;
  allowanceGiB: number;
  overageGiB: number;
  overageUsd: number;
}

export function transferBill(egressGiB: number, allowanceGiB: number): TransferBill {
  const overageGiB = Math.max(0, egressGiB - allowanceGiB);
  return { egressGiB, allowanceGiB, overageGiB, overageUsd: overageGiB * TRANSFER_OVERAGE_USD_PER_GIB };
}

/** What a Droplet or node costs for `hours` in a month: hourly, capped at the monthly price. */
export function dropletCostUsd(size: DropletSize, count: number, hours: number): number {
  if (hours >= BILLABLE_HOURS_PER_MONTH) return count * size.price_monthly_usd;
  return count * Math.min(size.price_monthly_usd, size.price_hourly_usd * hours);
}
