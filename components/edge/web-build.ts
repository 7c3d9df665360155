import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { extname, join, relative, sep } from "node:path";

/**
 * The web app's build output (`npm run build:web` writes `apps/web/dist`) as the objects the stack uploads to the
 * CDN's bucket: one per file, with the content type and `Cache-Control` a browser and the CDN need.
 */
export interface WebBuildFile {
  /** Object key in the bucket: the file's path inside the build, `/`-separated. */
  key: string;
  /** Where the file is read from, as given to the build reader (relative paths stay relative). */
  source: string;
  contentType: string;
  cacheControl: string;
  /** MD5 of the content, hex: the object's ETag, so a changed file is uploaded again and an unchanged one is not. */
  md5: string;
  /** A content-hashed asset: its name changes whenever its content does. */
  hashed: boolean;
}

export interface WebBuild {
  dir: string;
  files: WebBuildFile[];
  /**
   * Paths the app routes on the client (`j`, `meetings`), each served as a copy of `index.html`: the Spaces CDN
   * has no fallback document (see SPA_ROUTES_KEY).
   */
  spaRoutes: string[];
}

/** Hashed assets never change under their name, so browsers and the CDN keep them for a year (RFC 8246). */
export const IMMUTABLE_CACHE_CONTROL = "public, max-age=31536000, immutable";
/** The entry document and the runtime config are revalidated on every load, so a deploy is seen at once. */
export const REVALIDATE_CACHE_CONTROL = "no-cache";
/** Unhashed files besides the entry (favicon, robots.txt): an hour, like the CDN's own default TTL. */
export const SHORT_CACHE_CONTROL = "public, max-age=3600";

/** The runtime configuration the stack writes next to the build; the app fetches it before anything else. */
export const RUNTIME_CONFIG_KEY = "config.json";
export const ENTRY_KEY = "index.html";
/**
 * A JSON array of the app's client-side route paths (`["/j", "/meetings"]`) that the build may ship. The Spaces
 * CDN serves objects only — bucket websites with index and error documents are not available through the CDN
 * (Spaces S3 Compatibility, https://docs.digitalocean.com/products/spaces/reference/s3-compatibility/) — so
 * every route a person can open or reload must exist as an object; dynamic parts go in the query string.
 */
export const SPA_ROUTES_KEY = "spa-routes.json";
const SPA_ROUTE = /^\/[a-z0-9][a-z0-9_-]*(\/[a-z0-9][a-z0-9_-]*)*$/;

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".map": "application/json",
  ".webmanifest": "application/manifest+json",
  ".txt": "text/plain; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".avif": "image/avif",
  ".ico": "image/x-icon",
  ".woff": "font/woff",
  ".woff2": "font/woff2",
  ".ttf": "font/ttf",
  ".wasm": "application/wasm",
  ".mp3": "audio/mpeg",
  ".ogg": "audio/ogg",
  ".wav": "audio/wav",
  ".mp4": "video/mp4",
  ".webm": "video/webm",
};

/**
 * Vite names bundled assets `assets/<name>-<hash>.<ext>` with an 8-character base64url content hash
 * (build.rollupOptions.output.assetFileNames default `assets/[name]-[hash][extname]`).
 */
const HASHED_ASSET = /^assets\/.+-[A-Za-z0-9_-]{8,}\.[a-z0-9]+$/;

export class WebBuildError extends Error {
  override name = "WebBuildError";
}

export function contentTypeOf(key: string): string {
  const type = CONTENT_TYPES[extname(key).toLowerCase()];
  if (!type) {
    throw new WebBuildError(
      `web build file ${key}: no content type for the extension "${extname(key) || "(none)"}"; expected one of ${Object.keys(CONTENT_TYPES).join(", ")} (components/edge/web-build.ts)`,
    );
  }
  return type;
}

export function cacheControlOf(key: string): { cacheControl: string; hashed: boolean } {
  if (HASHED_ASSET.test(key)) return { cacheControl: IMMUTABLE_CACHE_CONTROL, hashed: true };
  if (key === ENTRY_KEY || key === RUNTIME_CONFIG_KEY) {
    return { cacheControl: REVALIDATE_CACHE_CONTROL, hashed: false };
  }
  return { cacheControl: SHORT_CACHE_CONTROL, hashed: false };
}

function listFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(path));
    else if (entry.isFile()) out.push(path);
  }
  return out;
}

/**
 * Reads a build directory. `undefined` when the directory does not exist (the caller decides whether that is an
 * error); a clear error when it exists but cannot be served: no `index.html`, a `config.json` of its own (the
 * stack writes that one), or a file without a known content type.
 */
export function readWebBuild(dir: string): WebBuild | undefined {
  if (!existsSync(dir)) return undefined;
  if (!statSync(dir).isDirectory()) throw new WebBuildError(`web build ${dir}: expected a directory`);
  const paths = listFiles(dir);
  const routesFile = join(dir, SPA_ROUTES_KEY);
  const files = paths
    .filter((path) => path !== routesFile)
    .map((path) => {
      const key = relative(dir, path).split(sep).join("/");
      return { key, path };
    })
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map(({ key, path }): WebBuildFile => {
      if (key === RUNTIME_CONFIG_KEY) {
        throw new WebBuildError(
          `web build ${dir}: contains ${RUNTIME_CONFIG_KEY}, which the stack writes per stack; remove it from the build (keep it in the dev server only)`,
        );
      }
      return {
        key,
        source: path,
        contentType: contentTypeOf(key),
        ...cacheControlOf(key),
        md5: createHash("md5").update(readFileSync(path)).digest("hex"),
      };
    });
  if (!files.some((f) => f.key === ENTRY_KEY)) {
    throw new WebBuildError(
      `web build ${dir}: expected ${ENTRY_KEY} at its top level (run \`npm run build:web\`)`,
    );
  }
  return { dir, files, spaRoutes: readSpaRoutes(routesFile, files) };
}

function readSpaRoutes(path: string, files: WebBuildFile[]): string[] {
  if (!existsSync(path)) return [];
  let routes: unknown;
  try {
    routes = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new WebBuildError(`web build ${path}: expected JSON, ${(error as Error).message}`);
  }
  if (!Array.isArray(routes)) {
    throw new WebBuildError(
      `web build ${path}: expected an array of route paths, got ${JSON.stringify(routes)}`,
    );
  }
  const keys = new Set(files.map((f) => f.key));
  const seen = new Set<string>();
  return routes.map((route, i) => {
    if (typeof route !== "string" || !SPA_ROUTE.test(route)) {
      throw new WebBuildError(
        `web build ${path}[${i}]: expected a path like "/j" or "/meetings/new" (lowercase segments, no trailing slash), got ${JSON.stringify(route)}`,
      );
    }
    const key = route.slice(1);
    if (keys.has(key)) {
      throw new WebBuildError(`web build ${path}[${i}]: route "${route}" is also a file of the build`);
    }
    if (seen.has(key)) throw new WebBuildError(`web build ${path}[${i}]: route "${route}" is listed twice`);
    seen.add(key);
    return key;
  });
}
