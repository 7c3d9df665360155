import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";
import type { RuntimeConfig } from "../../apps/web/src/runtime-config.ts";
import {
  ENTRY_KEY,
  REVALIDATE_CACHE_CONTROL,
  RUNTIME_CONFIG_KEY,
  type WebBuild,
  type WebBuildFile,
} from "./web-build.ts";

export interface WebAppArgs {
  /** The public bucket behind the CDN. */
  bucket: pulumi.Input<string>;
  region: string;
  /** The app's build; undefined only where the caller allows a plan without one (the objects are then absent). */
  build: WebBuild | undefined;
  runtimeConfig: RuntimeConfig;
}

/** The runtime config as the app fetches it: stable key order, one trailing newline. */
export function renderRuntimeConfig(config: RuntimeConfig): string {
  const ordered = Object.fromEntries(Object.entries(config).sort(([a], [b]) => (a < b ? -1 : 1)));
  return `${JSON.stringify(ordered, null, 2)}\n`;
}

/**
 * The web app in the CDN's bucket: one object per file of the build, a copy of `index.html` per client-side
 * route (the CDN has no fallback document, components/edge/web-build.ts), and the stack's `config.json`.
 *
 * Hashed assets are kept in the bucket when a later build no longer has them: a browser (or a CDN edge within its
 * TTL) may still hold the previous `index.html`, which names the previous assets.
 */
export class WebApp extends pulumi.ComponentResource {
  readonly keys: string[];

  constructor(name: string, args: WebAppArgs, opts?: pulumi.ComponentResourceOptions) {
    super("gomeet:edge:WebApp", name, {}, opts);
    const object = (key: string, inputs: Partial<digitalocean.SpacesBucketObjectArgs>, retain = false) =>
      new digitalocean.SpacesBucketObject(
        `${name}-${key}`,
        { bucket: args.bucket, region: args.region, key, acl: "public-read", ...inputs },
        { parent: this, ...(retain ? { retainOnDelete: true } : {}) },
      );
    const fromFile = (key: string, file: WebBuildFile) =>
      object(
        key,
        {
          source: file.source,
          etag: file.md5,
          contentType: file.contentType,
          cacheControl: file.cacheControl,
        },
        file.hashed,
      );

    const keys: string[] = [];
    const files = args.build?.files ?? [];
    for (const file of files) {
      fromFile(file.key, file);
      keys.push(file.key);
    }
    const entry = files.find((f) => f.key === ENTRY_KEY);
    if (entry) {
      for (const route of args.build?.spaRoutes ?? []) {
        fromFile(route, entry);
        keys.push(route);
      }
    }
    object(RUNTIME_CONFIG_KEY, {
      content: renderRuntimeConfig(args.runtimeConfig),
      contentType: "application/json",
      cacheControl: REVALIDATE_CACHE_CONTROL,
    });
    keys.push(RUNTIME_CONFIG_KEY);
    this.keys = keys;
    this.registerOutputs({});
  }
}
