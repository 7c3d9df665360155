import { existsSync, readFileSync, statSync } from "node:fs";
import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from "node:http";
import { connect, type Socket } from "node:net";
import { extname, join, normalize } from "node:path";
import type { RuntimeConfig } from "../../../apps/web/src/runtime-config.ts";

/**
 * The test's stand-in for the CDN and for the gateway, one loopback origin each: the built app (hashed assets,
 * `index.html` for every SPA route) with the runtime `/config.json`, and `/v1/*` routed by path prefix to auth,
 * meetings and chat as docs/gateway.md routes `api.<domain>` (WebSocket upgrades included).
 */
export interface EdgeServer {
  origin: string;
  /** Replaced config is served from the next request on (each page loads it at start). */
  config: RuntimeConfig;
  requests: string[];
  stop(): Promise<void>;
}

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".woff2": "font/woff2",
};

export interface Upstreams {
  auth: string;
  meetings: string;
  chat: string;
}

function upstreamFor(path: string, upstreams: Upstreams): string | undefined {
  if (/^\/v1\/(auth|users|sessions|admin|chat-tickets)(\/|$)/.test(path)) return upstreams.auth;
  if (/^\/v1\/(meetings|invitations)(\/|$)/.test(path)) return upstreams.meetings;
  if (/^\/v1\/chat(\/|$)/.test(path)) return upstreams.chat;
  return undefined;
}

function proxy(req: IncomingMessage, res: ServerResponse, target: string): void {
  const url = new URL(req.url ?? "/", target);
  const upstream = request(
    url,
    { method: req.method, headers: { ...req.headers, host: url.host } },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    },
  );
  upstream.on("error", () => {
    if (!res.headersSent) res.writeHead(502);
    res.end();
  });
  req.pipe(upstream);
}

function proxyUpgrade(req: IncomingMessage, socket: Socket, head: Buffer, target: string): void {
  const url = new URL(target);
  const upstream = connect(Number(url.port), url.hostname, () => {
    const lines = [`${req.method} ${req.url} HTTP/1.1`];
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      const name = req.rawHeaders[i]!;
      lines.push(`${name}: ${name.toLowerCase() === "host" ? url.host : req.rawHeaders[i + 1]}`);
    }
    upstream.write(`${lines.join("\r\n")}\r\n\r\n`);
    if (head.length > 0) upstream.write(head);
    upstream.pipe(socket);
    socket.pipe(upstream);
  });
  const end = () => {
    socket.destroy();
    upstream.destroy();
  };
  upstream.on("error", end);
  socket.on("error", end);
}

export async function startEdgeServer(options: {
  port: number;
  distDir: string;
  upstreams: Upstreams;
  config: (origin: string) => RuntimeConfig;
}): Promise<EdgeServer> {
  const { distDir, upstreams } = options;
  if (!existsSync(join(distDir, "index.html"))) {
    throw new Error(`${distDir}/index.html is missing: build the app first (npm run build:web)`);
  }
  const origin = `http://127.0.0.1:${options.port}`;
  const edge: EdgeServer = {
    origin,
    config: options.config(origin),
    requests: [],
    stop: async () => undefined,
  };

  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", origin).pathname;
    edge.requests.push(`${req.method} ${path}`);
    const target = upstreamFor(path, upstreams);
    if (target) return proxy(req, res, target);
    if (path === "/config.json") {
      res.writeHead(200, { "content-type": "application/json", "cache-control": "no-store" });
      res.end(JSON.stringify(edge.config));
      return;
    }
    const file = normalize(join(distDir, path));
    const inside = file.startsWith(`${distDir}/`) && existsSync(file) && statSync(file).isFile();
    const chosen = inside ? file : join(distDir, "index.html");
    res.writeHead(200, {
      "content-type": TYPES[extname(chosen)] ?? "application/octet-stream",
      "cache-control": chosen.includes("/assets/") ? "public, max-age=31536000, immutable" : "no-cache",
    });
    res.end(readFileSync(chosen));
  });
  server.on("upgrade", (req, socket, head) => {
    const path = new URL(req.url ?? "/", origin).pathname;
    const target = upstreamFor(path, upstreams);
    if (!target) {
      socket.destroy();
      return;
    }
    proxyUpgrade(req, socket as Socket, head, target);
  });
  await new Promise<void>((done, fail) => {
    server.once("error", fail);
    server.listen(options.port, "127.0.0.1", () => done());
  });
  edge.stop = () =>
    new Promise<void>((done) => {
      server.closeAllConnections();
      server.close(() => done());
    });
  return edge;
}
