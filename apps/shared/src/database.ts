import postgres from "postgres";
import { Gauge, type Registry } from "prom-client";
import { type ConnectionTarget, openConnection, PoolTracker, type SslMode } from "./pool-tracking.ts";

export type Sql = postgres.Sql;
/** What a query helper needs: the pool or a transaction (`sql.begin(tx => ...)`). */
export type Queryable = postgres.ISql;

export interface DatabaseOptions {
  /** postgres:// URL; `sslmode` (disable, prefer, require, verify-ca, verify-full) is honoured as libpq does. */
  url: string;
  /** Pool size (postgres.js `max`, default 10). */
  max?: number;
  /** Shown in pg_stat_activity. */
  applicationName?: string;
  /** Registry that gets gomeet_db_pool_connections{state} (docs/metrics.md). */
  registry?: Registry;
  /** postgres.js `prepare`; set false behind PgBouncer in transaction mode. */
  prepare?: boolean;
}

export interface Database {
  sql: Sql;
  tracker: PoolTracker;
  /** Waits up to `timeoutSeconds` for running queries, then closes every connection. */
  close(timeoutSeconds?: number): Promise<void>;
}

const sslModes: readonly SslMode[] = ["disable", "prefer", "require", "verify-ca", "verify-full"];

/** Splits `sslmode` off the URL: the kit negotiates TLS itself (see pool-tracking.ts). */
function splitSslMode(url: string): { url: string; sslMode: SslMode } {
  const parsed = new URL(url);
  const mode = parsed.searchParams.get("sslmode") ?? "disable";
  if (!sslModes.includes(mode as SslMode)) {
    throw new Error(
      `database URL: sslmode must be one of ${sslModes.join(", ")}, got ${JSON.stringify(mode)}`,
    );
  }
  parsed.searchParams.delete("sslmode");
  return { url: parsed.toString(), sslMode: mode as SslMode };
}

const trackersByRegistry = new WeakMap<Registry, Set<PoolTracker>>();

/** One gauge per registry, summing every pool created against it (chat opens one pool per shard). */
function registerPoolGauge(registry: Registry, tracker: PoolTracker): () => void {
  let trackers = trackersByRegistry.get(registry);
  if (!trackers) {
    const set = new Set<PoolTracker>();
    trackers = set;
    trackersByRegistry.set(registry, set);
    new Gauge({
      name: "gomeet_db_pool_connections",
      help: "postgres.js connections by state (active: a query or transaction in progress).",
      labelNames: ["state"],
      registers: [registry],
      collect() {
        let active = 0;
        let idle = 0;
        for (const t of set) {
          const counts = t.counts();
          active += counts.active;
          idle += counts.idle;
        }
        this.set({ state: "active" }, active);
        this.set({ state: "idle" }, idle);
      },
    });
  }
  trackers.add(tracker);
  return () => trackers.delete(tracker);
}

/** A postgres.js pool whose connections are counted for gomeet_db_pool_connections. */
export function createDatabase(options: DatabaseOptions): Database {
  const { url, sslMode } = splitSslMode(options.url);
  const tracker = new PoolTracker();
  const sql = postgres(url, {
    max: options.max ?? 10,
    ssl: false,
    prepare: options.prepare ?? true,
    onnotice: () => undefined,
    connection: { application_name: options.applicationName ?? "gomeet" },
    socket: async (target: ConnectionTarget) => tracker.watch(await openConnection(target, sslMode)),
  } as postgres.Options<Record<string, postgres.PostgresType>>);
  const unregister = options.registry ? registerPoolGauge(options.registry, tracker) : () => undefined;
  return {
    sql,
    tracker,
    async close(timeoutSeconds = 5) {
      unregister();
      await sql.end({ timeout: timeoutSeconds });
    },
  };
}
