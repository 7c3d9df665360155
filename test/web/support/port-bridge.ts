import { mkdtempSync, rmSync } from "node:fs";
import { connect, createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { spawnServer, stopProcess, waitFor } from "../../support/processes.ts";
import type { NetworkNamespace } from "./network-namespace.ts";

/**
 * Connects TCP ports of loopback in the test's namespace with the same ports of loopback inside the browser's
 * namespace, through Unix sockets (a filesystem path is reachable from both namespaces, an address is not).
 * `inward` ports listen inside the namespace and reach servers outside (the app, the APIs); `outward` ports
 * listen outside and reach servers inside (livekit-server's API for meetings). The same port number on
 * both sides keeps every URL valid in both places.
 */
export interface PortBridge {
  stop(): Promise<void>;
}

function pipeBoth(a: Socket, b: Socket): void {
  a.pipe(b);
  b.pipe(a);
  const end = () => {
    a.destroy();
    b.destroy();
  };
  a.on("error", end);
  b.on("error", end);
  a.on("close", end);
  b.on("close", end);
}

/** Listens on 127.0.0.1:`port` and forwards each connection to the Unix socket `path`. */
export function tcpToUnix(port: number, path: string): Promise<Server> {
  const server = createServer((socket) => pipeBoth(socket, connect(path)));
  return new Promise((done, fail) => {
    server.once("error", fail);
    server.listen(port, "127.0.0.1", () => done(server));
  });
}

/** Listens on the Unix socket `path` and forwards each connection to 127.0.0.1:`port`. */
export function unixToTcp(path: string, port: number): Promise<Server> {
  const server = createServer((socket) => pipeBoth(socket, connect(port, "127.0.0.1")));
  return new Promise((done, fail) => {
    server.once("error", fail);
    server.listen(path, () => done(server));
  });
}

export async function startPortBridge(
  namespace: NetworkNamespace,
  ports: { inward: number[]; outward: number[] },
): Promise<PortBridge> {
  const dir = mkdtempSync(join(tmpdir(), "gmw-"));
  const sock = (direction: string, port: number) => join(dir, `${direction}-${port}.sock`);
  const here: Server[] = [];
  for (const port of ports.inward) here.push(await unixToTcp(sock("in", port), port));
  const args = [
    ...ports.inward.map((port) => `tcp-to-unix:${port}:${sock("in", port)}`),
    ...ports.outward.map((port) => `unix-to-tcp:${sock("out", port)}:${port}`),
  ];
  const [command, prefixed] = namespace.prefix(process.execPath, [
    "--import",
    "tsx",
    resolve(import.meta.dirname, "port-bridge-main.ts"),
    ...args,
  ]);
  const child = spawnServer(command, prefixed, { cwd: resolve(import.meta.dirname, "../../..") });
  const stop = async () => {
    await stopProcess(child.child, 2_000);
    for (const server of here) server.close();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor("the port bridge inside the namespace to listen", async () => {
      if (child.child.exitCode !== null) throw new Error(`port bridge exited:\n${child.output()}`);
      return child.output().includes("bridge ready");
    });
    for (const port of ports.outward) here.push(await tcpToUnix(port, sock("out", port)));
  } catch (error) {
    await stop();
    throw error;
  }
  return { stop };
}
