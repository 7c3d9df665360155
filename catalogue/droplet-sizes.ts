import catalog from "./droplet-sizes.json" with { type: "json" };

/**
 * DigitalOcean Droplet sizes with the figures the platform reasons about. The data is copied from
 * DigitalOcean's /v2/sizes answer of 2024-06-20 and the Droplet release notes (docs/sources.md#droplet-sizes);
 * every row keeps its `source_date`. DOKS worker nodes are billed as Droplets of the same size
 * (docs/sources.md#doks-pricing).
 */
export interface DropletSize {
  slug: string;
  family: string;
  cpu: string;
  dedicated_vcpu: boolean;
  vcpus: number;
  memory_gib: number;
  transfer_gib: number | null;
  price_monthly_usd: number;
  price_hourly_usd: number;
  network_cap_gbps: number;
  sgp1_available: boolean;
  source_date: string;
}

const bySlug = new Map<string, DropletSize>(catalog.sizes.map((s) => [s.slug, s as DropletSize]));

export function isKnownDropletSize(slug: string): boolean {
  return bySlug.has(slug);
}

export function dropletSize(slug: string): DropletSize {
  const size = bySlug.get(slug);
  if (!size) throw new Error(`unknown Droplet size "${slug}": not in catalogue/droplet-sizes.json`);
  return size;
}

export const DROPLET_CATALOG_SOURCE = catalog.source;
