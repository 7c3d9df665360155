import prices from "./service-prices.json" with { type: "json" };

/**
 * DigitalOcean prices other than Droplet sizes (those are in droplet-sizes.json), copied as data with their
 * sources (docs/sources.md#infrastructure-digitalocean). Anything no published page gives is absent, and asking for
 * it throws instead of guessing.
 */
export const SERVICE_PRICES = prices;

export const TRANSFER_OVERAGE_USD_PER_GIB = prices.transfer.overage_usd_per_gib;
/** Droplets and DOKS nodes bill at most 672 hours (28 days) a month; the monthly price is that cap. */
export const BILLABLE_HOURS_PER_MONTH = prices.transfer.hours_per_month_cap;

const databasePrices: Record<string, number> = prices.managed_database_nodes.monthly_usd;

/** Monthly price of one managed-database node (primary, standby or read-only node cost the same). */
export function databaseNodeMonthlyUsd(size: string, engine: string): number {
  const price = databasePrices[size];
  if (price === undefined) {
    throw new Error(
      `no price recorded for managed ${engine} node size "${size}" in catalogue/service-prices.json (${prices.managed_database_nodes.missing})`,
    );
  }
  return price;
}

export function registryMonthlyUsd(tier: string): number {
  const price = (prices.container_registry.monthly_usd as Record<string, number>)[tier];
  if (price === undefined) throw new Error(`no price recorded for container-registry tier "${tier}"`);
  return price;
}

export function loadBalancerNodeMonthlyUsd(type: string): number {
  // Kubernetes annotation / API spellings: REGIONAL (HTTP LB, the default) and REGIONAL_NETWORK (L4 NLB).
  if (type === "REGIONAL_NETWORK") return prices.load_balancer.regional_network_monthly_usd_per_node;
  if (type === "REGIONAL") return prices.load_balancer.regional_http_monthly_usd_per_node;
  throw new Error(`no price recorded for load-balancer type "${type}" (known: REGIONAL, REGIONAL_NETWORK)`);
}
