/**
 * The DOKS release every preset pins, and when DigitalOcean stops supporting each minor. Past its end of support
 * a minor accepts no new clusters and existing ones are force-upgraded ("When a minor version becomes
 * unsupported, we schedule an upgrade to the latest patch version of the next supported minor version",
 * https://docs.digitalocean.com/products/kubernetes/how-to/upgrade-cluster/), so the policy pack refuses a pin
 * past its date and warns 30 days before (policies/lifecycle-rules.ts).
 */

/**
 * DOKS 1.35 on upstream patch 1.35.1 (released 2026-02-10, https://kubernetes.io/releases/1.35/). Slugs are listed
 * by `doctl kubernetes options versions` and in the DOKS changelog
 * (https://docs.digitalocean.com/products/kubernetes/details/changelog/); `1.35.1-do.0` … `1.35.1-do.6` are in
 * use in public DOKS configurations. The control-plane test builds the same minor (`scripts/build-control-plane.sh`).
 */
export const DOKS_VERSION = "1.35.1-do.6";

export interface DoksMinorSupport {
  minor: string;
  /** Last day of support (UTC), ISO date. */
  endOfSupport: string;
  source: string;
}

const DOKS_SUPPORTED_RELEASES =
  "https://docs.digitalocean.com/products/kubernetes/details/supported-releases/";

/** Oldest first. DigitalOcean has ended each minor on its upstream end-of-life date (1.32–1.34 below). */
export const DOKS_SUPPORT: readonly DoksMinorSupport[] = [
  { minor: "1.32", endOfSupport: "2026-02-28", source: DOKS_SUPPORTED_RELEASES },
  { minor: "1.33", endOfSupport: "2026-06-28", source: DOKS_SUPPORTED_RELEASES },
  { minor: "1.34", endOfSupport: "2026-10-27", source: DOKS_SUPPORTED_RELEASES },
  {
    minor: "1.35",
    endOfSupport: "2027-02-28",
    source:
      "https://kubernetes.io/releases/1.35/ (upstream end of life; DOKS has matched the upstream date for 1.32–1.34, see the supported-releases page)",
  },
];

/** Days before end of support from which the pack warns. */
export const DOKS_SUPPORT_WARNING_DAYS = 30;

/** `1.35` from `1.35.1-do.6`; undefined when the text is not a DOKS slug. */
export function doksMinor(slug: string): string | undefined {
  return /^(\d+\.\d+)\.\d+-do\.\d+$/.exec(slug)?.[1];
}

export type DoksSupportStatus =
  | { status: "supported"; minor: string; endOfSupport: string }
  | { status: "ending"; minor: string; endOfSupport: string; daysLeft: number }
  | { status: "unsupported"; minor: string; endOfSupport: string }
  | { status: "unknown"; minor: string | undefined };

/** Where a slug stands on a given day (the day after `endOfSupport` is unsupported). */
export function doksSupportStatus(slug: string, today: Date): DoksSupportStatus {
  const minor = doksMinor(slug);
  const entry = DOKS_SUPPORT.find((s) => s.minor === minor);
  if (!minor || !entry) return { status: "unknown", minor };
  const end = Date.parse(`${entry.endOfSupport}T23:59:59Z`);
  const daysLeft = Math.floor((end - today.getTime()) / 86_400_000);
  if (today.getTime() > end) return { status: "unsupported", minor, endOfSupport: entry.endOfSupport };
  if (daysLeft < DOKS_SUPPORT_WARNING_DAYS) {
    return { status: "ending", minor, endOfSupport: entry.endOfSupport, daysLeft };
  }
  return { status: "supported", minor, endOfSupport: entry.endOfSupport };
}
