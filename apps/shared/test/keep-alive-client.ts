import { Agent, request } from "node:http";

/** One answer as a keep-alive client saw it, with the socket it came on (to tell reuse from reconnection). */
export interface KeepAliveAnswer {
  status: number;
  connection: string | undefined;
  body: string;
  socketId: number;
}

/**
 * A node:http client with one keep-alive socket at a time, as browsers and service clients pool: after an
 * answer the socket goes back to the pool unless the server said `Connection: close`.
 */
export class KeepAliveClient {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 1 });
  private readonly sockets = new WeakMap<object, number>();
  private nextSocketId = 0;

  constructor(private readonly baseUrl: string) {}

  send(method: string, path: string, body?: string | Buffer, headers: Record<string, string> = {}) {
    const url = new URL(path, this.baseUrl);
    return new Promise<KeepAliveAnswer>((resolve, reject) => {
      const req = request(
        url,
        {
          method,
          agent: this.agent,
          headers: {
            ...(body !== undefined
              ? { "content-type": "application/json", "content-length": String(Buffer.byteLength(body)) }
              : {}),
            ...headers,
          },
        },
        (res) => {
          const socket = res.socket;
          if (!this.sockets.has(socket)) this.sockets.set(socket, ++this.nextSocketId);
          const socketId = this.sockets.get(socket) ?? 0;
          let text = "";
          res.setEncoding("utf8");
          res.on("data", (chunk: string) => {
            text += chunk;
          });
          res.on("end", () =>
            resolve({
              status: res.statusCode ?? 0,
              connection: res.headers.connection,
              body: text,
              socketId,
            }),
          );
          res.on("error", reject);
        },
      );
      // A server that answers early and closes may reset the rest of a large upload: the answer already
      // arrived, which is what the caller checks.
      req.on("error", (error: NodeJS.ErrnoException) => {
        if (error.code !== "EPIPE" && error.code !== "ECONNRESET") reject(error);
      });
      req.setTimeout(15_000, () => req.destroy(new Error(`${method} ${path}: no answer within 15 s`)));
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
