import { createConnection, createServer, type Server, type Socket } from "node:net";
import { freePort } from "../../support/processes.ts";

/**
 * Stands in for the Service in front of the LiveKit nodes (`wss://livekit.<domain>` and the in-cluster API
 * URL reach any node): a TCP balancer on 127.0.0.1 that hands each connection to the next backend in turn and
 * skips one that refuses, as endpoints of a dead pod disappear from a Service.
 */
export interface NodeBalancer {
  url: string;
  wsUrl: string;
  setBackends(ports: number[]): void;
  close(): Promise<void>;
}

export async function startNodeBalancer(): Promise<NodeBalancer> {
  const port = await freePort();
  let backends: number[] = [];
  let next = 0;
  const open = new Set<Socket>();
  const forward = (client: Socket, attempt: number) => {
    if (backends.length === 0 || attempt >= backends.length) {
      client.destroy();
      return;
    }
    const target = backends[next++ % backends.length] as number;
    const upstream = createConnection({ host: "127.0.0.1", port: target });
    let connected = false;
    upstream.once("connect", () => {
      connected = true;
      open.add(upstream);
      upstream.on("close", () => {
        open.delete(upstream);
        client.destroy();
      });
      client.on("close", () => upstream.destroy());
      client.on("error", () => upstream.destroy());
      client.pipe(upstream);
      upstream.pipe(client);
      client.resume();
    });
    upstream.on("error", () => {
      if (connected) client.destroy();
      else forward(client, attempt + 1);
    });
  };
  const server: Server = createServer({ pauseOnConnect: true }, (client) => {
    open.add(client);
    client.on("close", () => open.delete(client));
    forward(client, 0);
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}`,
    setBackends(ports) {
      backends = [...ports];
    },
    async close() {
      for (const socket of open) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
