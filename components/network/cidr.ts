/** IPv4 CIDR arithmetic for the network plan (pure, no Pulumi). */
export interface Cidr {
  text: string;
  start: number;
  /** Inclusive last address. */
  end: number;
  prefix: number;
}

export function parseCidr(text: string): Cidr {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(text);
  if (!match) throw new Error(`"${text}" is not an IPv4 CIDR`);
  const octets = match.slice(1, 5).map(Number);
  const prefix = Number(match[5]);
  if (octets.some((o) => o > 255) || prefix > 32) throw new Error(`"${text}" is not an IPv4 CIDR`);
  const address = ((octets[0]! << 24) | (octets[1]! << 16) | (octets[2]! << 8) | octets[3]!) >>> 0;
  const size = 2 ** (32 - prefix);
  const start = Math.floor(address / size) * size;
  if (start !== address)
    throw new Error(`"${text}" has host bits set (network address is ${formatAddress(start)})`);
  return { text, start, end: start + size - 1, prefix };
}

export function formatAddress(address: number): string {
  return [address >>> 24, (address >>> 16) & 255, (address >>> 8) & 255, address & 255].join(".");
}

export function cidrFrom(start: number, prefix: number): string {
  return `${formatAddress(start)}/${prefix}`;
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  return a.start <= b.end && b.start <= a.end;
}

const PRIVATE_RANGES = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"].map(parseCidr);

/** RFC 1918 private space, which DOKS requires for the pod and service subnets (docs/sources.md#doks-vpc-native-networking). */
export function isPrivate(c: Cidr): boolean {
  return PRIVATE_RANGES.some((r) => c.start >= r.start && c.end <= r.end);
}
