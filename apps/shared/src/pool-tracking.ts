import { once } from "node:events";
import net from "node:net";
import type { Duplex } from "node:stream";
import tls from "node:tls";
import { withDeadline } from "./deadline.ts";

/**
 * postgres.js keeps its pool state private, so the kit opens the connections itself (postgres.js's `socket`
 * option) and watches the wire: a connection is `active` from the moment a message is written until the server
 * answers ReadyForQuery with status idle (`Z`, length 5, `I`); inside a transaction (`T`/`E`) it stays active.
 * TLS is negotiated here (SSLRequest, then TLS) so the watched bytes are plaintext.
 */
export type SslMode = "disable" | "prefer" | "require" | "verify-ca" | "verify-full";

export interface PoolCounts {
  active: number;
  idle: number;
}

export interface ConnectionTarget {
  host: string[];
  port: number[];
  path?: string | false;
  connect_timeout?: number;
}

const SSL_REQUEST = Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]);
const READY_FOR_QUERY = [0x5a, 0, 0, 0, 5];
const IDLE = 0x49;

export class PoolTracker {
  private readonly states = new Map<Duplex, { active: boolean }>();

  counts(): PoolCounts {
    let active = 0;
    for (const state of this.states.values()) if (state.active) active++;
    return { active, idle: this.states.size - active };
  }

  /** Starts watching a connected socket; it stops counting when the socket closes. */
  watch(socket: Duplex): Duplex {
    const state = { active: false };
    this.states.set(socket, state);
    let tail = Buffer.alloc(0);
    const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
    socket.write = ((...args: unknown[]) => {
      state.active = true;
      return write(...args);
    }) as typeof socket.write;
    socket.on("data", (chunk: Buffer) => {
      tail = Buffer.concat([tail, chunk]).subarray(-6);
      if (tail.length === 6 && READY_FOR_QUERY.every((byte, i) => tail[i] === byte))
        state.active = tail[5] !== IDLE;
    });
    socket.once("close", () => this.states.delete(socket));
    return socket;
  }
}

/** Opens one connection to the first host of `target`, negotiating TLS per `sslMode` like libpq does. */
export async function openConnection(target: ConnectionTarget, sslMode: SslMode): Promise<Duplex> {
  const host = target.host[0] ?? "localhost";
  const raw = target.path ? net.connect(target.path) : net.connect({ host, port: target.port[0] ?? 5432 });
  const timeoutMs = (target.connect_timeout ?? 30) * 1000;
  const negotiate = async (): Promise<Duplex> => {
    await once(raw, "connect");
    if (sslMode === "disable") return raw;
    raw.write(SSL_REQUEST);
    const [reply] = (await once(raw, "data")) as [Buffer];
    if (reply[0] !== 0x53) {
      if (sslMode === "prefer") return raw;
      throw new Error(`the PostgreSQL server refused TLS but sslmode=${sslMode} requires it`);
    }
    const verify = sslMode === "verify-ca" || sslMode === "verify-full";
    const secure = tls.connect({
      socket: raw,
      servername: net.isIP(host) ? undefined : host,
      rejectUnauthorized: verify,
      ...(sslMode === "verify-ca" ? { checkServerIdentity: () => undefined } : {}),
    });
    await once(secure, "secureConnect");
    return secure;
  };
  try {
    return await withDeadline(
      negotiate(),
      timeoutMs,
      `connecting to PostgreSQL timed out after ${timeoutMs} ms`,
    );
  } catch (error) {
    raw.destroy();
    throw error;
  }
}
