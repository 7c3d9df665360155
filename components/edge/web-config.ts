import { parseRuntimeConfig, type RuntimeConfig } from "../../apps/web/src/runtime-config.ts";

/** The host the app is served on: `meet.<domain>`, the CDN's custom domain. */
export function webHost(domain: string): string {
  return `meet.${domain}`;
}

/** The app's origin: the only origin the APIs answer CORS for and chat admits WebSockets from. */
export function webOrigin(domain: string): string {
  return `https://${webHost(domain)}`;
}

/**
 * The runtime `config.json` of a stack. One build serves every stack: the app reads its API, chat and LiveKit
 * addresses from this file at start-up. Every API sits behind the gateway on `api.<domain>` (docs/gateway.md).
 * Checked with the app's own validator, so the stack never writes a file the app refuses.
 */
export function webRuntimeConfig(domain: string): RuntimeConfig {
  const api = `https://api.${domain}`;
  return parseRuntimeConfig({
    authUrl: api,
    meetingsUrl: api,
    chatUrl: api,
    livekitUrl: `wss://livekit.${domain}`,
  });
}
