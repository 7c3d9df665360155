import { existsSync, readFileSync } from "node:fs";
import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from "node:http";
import { connect, type Socket } from "node:net";
import { join } from "node:path";
import type { RuntimeConfig } from "../../../apps/web/src/runtime-config.ts";
import { ENTRY_KEY, readWebBuild, type WebBuildFile } from "../../../components/edge/web-build.ts";

/**
 * The test's stand-in for the CDN and for the gateway, one loopback origin each. The CDN side serves exactly the
 * objects the stack uploads (components/edge/web-app.ts, read with the stack's own readWebBuild): each file of the
 * build with its content type and cache header, a copy of `index.html` under each path of `spa-routes.json`, and
 * the runtime `/config.json` — any other key answers 404 as the bucket does, so a link the app makes to a path
 * that is no object fails here as it would on the CDN. `/v1/*` is routed by path prefix to auth, meetings and
 * chat as docs/gateway.md routes `api.<domain>` (WebSocket upgrades included).
 */
export interface EdgeServer {
  origin: string;
  /** Replaced config is served from the next request on (each page loads it at start). */
  config: RuntimeConfig;
  requests: string[];
  stop(): Promise<void>;
}

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
  if (!existsSync(join(distDir, ENTRY_KEY))) {
    throw new Error(`${distDir}/${ENTRY_KEY} is missing: build the app first (npm run build:web)`);
  }
  const build = readWebBuild(distDir);
  if (!build) throw new Error(`${distDir} is not a directory`);
  const objects = new Map<string, WebBuildFile>(build.files.map((f) => [f.key, f]));
  const entry = objects.get(ENTRY_KEY) as WebBuildFile;
  for (const route of build.spaRoutes) objects.set(route, entry);
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
    const object = objects.get(decodeURIComponent(path.slice(1)));
    if (!object) {
      res.writeHead(404, { "content-type": "application/xml" });
      res.end("<Error><Code>NoSuchKey</Code></Error>");
      return;
    }
    res.writeHead(200, { "content-type": object.contentType, "cache-control": object.cacheControl });
    res.end(readFileSync(object.source));
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
