import {
  fail,
  requireHostPort,
  requireNonEmpty,
  requireNonNegativeInteger,
  requireSecret,
} from "./input-rules.ts";

/**
 * The Valkey/Redis connection both livekit-server and egress read through livekit/protocol's `redis`
 * block (docs/sources.md#livekit-server-configuration; egress "must be the same redis address",
 * docs/sources.md#livekit-egress).
 */
export interface RedisConnection {
  /** host:port of the managed Valkey (DigitalOcean serves it over TLS only). */
  address: string;
  username: string;
  password: string;
  db: number;
  tls: {
    enabled: boolean;
    /** PEM of the CA that signed the server certificate; omitted ⇒ the system trust store. */
    caCertFile?: string;
    /** SNI / verification name when `address` is an IP. */
    serverName?: string;
  };
}

export function validateRedisConnection(field: string, redis: RedisConnection): void {
  requireHostPort(`${field}.address`, redis.address);
  requireNonEmpty(`${field}.username`, redis.username);
  requireSecret(`${field}.password`, redis.password, 8);
  requireNonNegativeInteger(`${field}.db`, redis.db);
  if (redis.tls.caCertFile !== undefined && !redis.tls.caCertFile.startsWith("/")) {
    fail(`${field}.tls.caCertFile`, "an absolute path", redis.tls.caCertFile);
  }
  if (!redis.tls.enabled && (redis.tls.caCertFile !== undefined || redis.tls.serverName !== undefined)) {
    fail(`${field}.tls.enabled`, "true when a CA file or server name is given", redis.tls.enabled);
  }
}

/** `tls:` replaces the deprecated `use_tls` (docs/sources.md#livekit-server-configuration). */
export function redisConfigBlock(redis: RedisConnection): Record<string, unknown> {
  const tls: Record<string, unknown> = { enabled: redis.tls.enabled };
  if (redis.tls.caCertFile !== undefined) tls.ca_cert_file = redis.tls.caCertFile;
  if (redis.tls.serverName !== undefined) tls.server_name = redis.tls.serverName;
  return {
    address: redis.address,
    username: redis.username,
    password: redis.password,
    db: redis.db,
    tls,
  };
}
