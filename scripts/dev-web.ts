import { spawn } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { join, resolve, sep } from "node:path";
import { parseRuntimeConfig, type RuntimeConfig } from "../apps/web/src/runtime-config.ts";
import { contentTypeOf, ENTRY_KEY, RUNTIME_CONFIG_KEY } from "../components/edge/web-build.ts";

/**
 * The web app for `npm run dev`: the production build (apps/web/dist) served the way the CDN serves it, with a
 * `config.json` pointing at the local services. Paths that are not files get `index.html`, so the app's routes
 * (`/j?code=…`, `/meeting?id=…`) open and reload; the CDN serves only the route paths the build lists
 * (docs/web-hosting.md).
 */
export interface DevWebServer {
  url: string;
  server: Server;
  stop(): Promise<void>;
}

/** Runs `npm run build:web` when there is no build yet; its output goes to the terminal. */
export async function ensureWebBuild(root: string, log: (message: string) => void): Promise<string> {
  const dist = join(root, "apps/web/dist");
  if (existsSync(join(dist, ENTRY_KEY))) return dist;
  log("no web build at apps/web/dist: running `npm run build:web`…");
  await new Promise<void>((done, fail) => {
    const child = spawn("npm", ["run", "build:web"], { cwd: root, stdio: ["ignore", "inherit", "inherit"] });
    child.on("error", fail);
    child.on("exit", (code) =>
      code === 0 ? done() : fail(new Error(`npm run build:web failed (exit ${code})`)),
    );
  });
  return dist;
}

export async function startDevWebServer(options: {
  dir: string;
  port: number;
  config: RuntimeConfig;
}): Promise<DevWebServer> {
  const dir = resolve(options.dir);
  const config = `${JSON.stringify(parseRuntimeConfig(options.config), null, 2)}\n`;
  const server = createServer((req, res) => {
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD" }).end();
      return;
    }
    const path = decodeURIComponent(new URL(req.url ?? "/", "http://localhost").pathname);
    if (path === `/${RUNTIME_CONFIG_KEY}`) {
      res.writeHead(200, { "content-type": "application/json", "cache-control": "no-cache" });
      res.end(req.method === "HEAD" ? undefined : config);
      return;
    }
    const file = resolve(dir, `.${path}`);
    const inside = file === dir || file.startsWith(`${dir}${sep}`);
    const isFile = inside && existsSync(file) && statSync(file).isFile();
    if (!isFile && /\.[a-z0-9]+$/i.test(path)) {
      // A missing asset is an error, not the app: answering index.html would hide a broken build.
      res
        .writeHead(404, { "content-type": "text/plain; charset=utf-8" })
        .end(`no ${path} in the web build\n`);
      return;
    }
    const served = isFile ? file : join(dir, ENTRY_KEY);
    res.writeHead(200, { "content-type": contentTypeOf(served), "cache-control": "no-cache" });
    res.end(req.method === "HEAD" ? undefined : readFileSync(served));
  });
  await new Promise<void>((done, fail) => {
    server.once("error", fail);
    server.listen(options.port, "127.0.0.1", () => done());
  });
  return {
    url: `http://127.0.0.1:${options.port}`,
    server,
    stop: () => new Promise<void>((done) => server.close(() => done())),
  };
}
