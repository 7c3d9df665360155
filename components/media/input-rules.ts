/**
 * Validation rules shared by the media renderers. Every failure names the input field, the rule and the
 * offending value — except for secrets, whose value is never echoed (only their length).
 */

export class MediaConfigError extends Error {
  override readonly name = "MediaConfigError";
}

export function fail(field: string, rule: string, value: unknown): never {
  throw new MediaConfigError(`${field}: expected ${rule}, got ${JSON.stringify(value)}`);
}

export function requirePort(field: string, value: number): number {
  if (!Number.isInteger(value) || value < 1 || value > 65_535)
    fail(field, "an integer port in 1–65535", value);
  return value;
}

export interface PortRange {
  start: number;
  end: number;
}

export function requirePortRange(field: string, range: PortRange): PortRange {
  requirePort(`${field}.start`, range.start);
  requirePort(`${field}.end`, range.end);
  if (range.start > range.end) fail(field, "start ≤ end", range);
  return range;
}

export function requirePositiveInteger(field: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) fail(field, "an integer ≥ 1", value);
  return value;
}

export function requireNonNegativeInteger(field: string, value: number): number {
  if (!Number.isInteger(value) || value < 0) fail(field, "an integer ≥ 0", value);
  return value;
}

export function requireNonEmpty(field: string, value: string): string {
  if (typeof value !== "string" || value.trim() === "") fail(field, "a non-empty string", value);
  return value;
}

/** A secret is checked for presence and length only; its value never reaches an error message. */
export function requireSecret(field: string, value: string, minLength: number): string {
  if (typeof value !== "string" || value.length < minLength) {
    const length = typeof value === "string" ? value.length : 0;
    throw new MediaConfigError(
      `${field}: expected a secret of at least ${minLength} characters, got ${length}`,
    );
  }
  if (/[\s"'\\]/.test(value)) {
    throw new MediaConfigError(`${field}: expected a secret without whitespace, quotes or backslashes`);
  }
  return value;
}

const ipv4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export function requireIpv4(field: string, value: string): string {
  if (!ipv4.test(value)) fail(field, "an IPv4 address", value);
  return value;
}

const hostname = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

export function requireHost(field: string, value: string): string {
  if (!ipv4.test(value) && !hostname.test(value)) fail(field, "a lower-case DNS name or IPv4 address", value);
  return value;
}

/** `host:port` as LiveKit and egress expect for Redis/Valkey and STUN addresses. */
export function requireHostPort(field: string, value: string): string {
  const match = /^(.+):(\d+)$/.exec(value);
  if (!match?.[1] || !match[2]) fail(field, "host:port", value);
  requireHost(field, match[1]);
  requirePort(field, Number(match[2]));
  return value;
}

export function requireHttpUrl(field: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    fail(field, "an absolute http(s) URL", value);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") fail(field, "an absolute http(s) URL", value);
  return value;
}
