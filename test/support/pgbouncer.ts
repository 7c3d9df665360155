import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execFileAsync, findExecutable, freePort, spawnServer, stopProcess, waitFor } from "./processes.ts";

export interface PgBouncerServer {
  /** Loopback port PgBouncer listens on. */
  port: number;
  /** The same URL (user, database, query) routed through PgBouncer instead of straight to PostgreSQL. */
  urlFor(databaseUrl: string): string;
  /** Everything PgBouncer logged so far (for failure messages). */
  output(): string;
  stop(): Promise<void>;
}

export interface PgBouncerOptions {
  /**
   * Server connections per (database, user) pair. Kept small by default so that many clients share few
   * server connections, which is what makes transaction pooling observable in tests.
   */
  defaultPoolSize?: number;
  maxClientConn?: number;
}

const isRoot = typeof process.getuid === "function" && process.getuid() === 0;

/** TCP connect probe: PgBouncer accepts connections once its listener is up. */
function acceptsConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/**
 * Starts a throwaway PgBouncer in front of the PostgreSQL server at `serverUrl`, in transaction mode as
 * DigitalOcean's connection pools run it by default (docs/sources.md#postgres-behind-pgbouncer). Every
 * database on that server is reachable through it (`* =` fallback entry); clients authenticate with
 * `auth_type = trust` on loopback, and PgBouncer logs in upstream as the client's user, which the test
 * server trusts. Runs as the `postgres` user when we are root: PgBouncer refuses to run as root.
 */
export async function startPgBouncer(
  serverUrl: string,
  options: PgBouncerOptions = {},
): Promise<PgBouncerServer> {
  const binary = findExecutable("pgbouncer", ["/usr/sbin", "/usr/bin", "/usr/local/bin"]);
  if (!binary) {
    throw new Error(
      "pgbouncer not found on PATH, /usr/sbin or /usr/bin: install it with `apt-get install pgbouncer` " +
        "(scripts/install-test-deps.sh does)",
    );
  }
  const upstream = new URL(serverUrl);
  const user = decodeURIComponent(upstream.username) || "postgres";
  const dir = mkdtempSync(join(tmpdir(), "gomeet-pgbouncer-"));
  chmodSync(dir, 0o755);
  const port = await freePort();
  const config = join(dir, "pgbouncer.ini");
  // With auth_type = trust the user must still be listed in auth_file (pgbouncer.ini(5), auth_type).
  writeFileSync(join(dir, "userlist.txt"), `"${user}" ""\n`);
  writeFileSync(
    config,
    [
      "[databases]",
      `* = host=${upstream.hostname} port=${upstream.port || "5432"}`,
      "",
      "[pgbouncer]",
      "listen_addr = 127.0.0.1",
      `listen_port = ${port}`,
      "unix_socket_dir =",
      "auth_type = trust",
      `auth_file = ${join(dir, "userlist.txt")}`,
      "pool_mode = transaction",
      `default_pool_size = ${options.defaultPoolSize ?? 4}`,
      "min_pool_size = 0",
      "reserve_pool_size = 0",
      `max_client_conn = ${options.maxClientConn ?? 200}`,
      `admin_users = ${user}`,
      `pidfile = ${join(dir, "pgbouncer.pid")}`,
      "",
    ].join("\n"),
  );
  if (isRoot) await execFileAsync("chown", ["-R", "postgres:postgres", dir]);
  // setpriv execs PgBouncer in place (runuser would stay as its parent), so SIGTERM reaches it directly.
  const server = isRoot
    ? spawnServer("setpriv", [
        "--reuid=postgres",
        "--regid=postgres",
        "--init-groups",
        "--reset-env",
        binary,
        config,
      ])
    : spawnServer(binary, [config]);
  try {
    await waitFor("pgbouncer to accept connections", async () => {
      if (server.child.exitCode !== null) throw new Error(`pgbouncer exited:\n${server.output()}`);
      return await acceptsConnections(port);
    });
  } catch (error) {
    await stopProcess(server.child);
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    port,
    urlFor(databaseUrl) {
      const url = new URL(databaseUrl);
      url.hostname = "127.0.0.1";
      url.port = String(port);
      return url.toString();
    },
    output: server.output,
    async stop() {
      // SIGTERM is PgBouncer's immediate shutdown; clients still connected are cut off.
      await stopProcess(server.child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
