/**
 * The runtime configuration the app reads from `/config.json` at start-up. One build serves every stack:
 * the stack (or `npm run dev`) writes this file next to `index.html`, so API and media addresses are never
 * baked into the bundle. This module has no DOM dependencies so the writers can validate what they write.
 */
export interface RuntimeConfig {
  /** Base URL of the auth API (`/v1/auth/*`, `/v1/users/*`, `/v1/chat-tickets`), no trailing slash. */
  authUrl: string;
  /** Base URL of the meetings API (`/v1/meetings/*`, `/v1/invitations/*`). */
  meetingsUrl: string;
  /** Base URL of the chat API; the WebSocket is `<chatUrl with ws/wss>/v1/chat/ws`. */
  chatUrl: string;
  /** The LiveKit signalling URL (`wss://…`); the join answer names the URL to use, this is for display and checks. */
  livekitUrl: string;
  /** Send media only through TURN relays (`iceTransportPolicy: "relay"`), for networks that block direct UDP. */
  forceRelay?: boolean;
}

export const RUNTIME_CONFIG_PATH = "/config.json";

export class RuntimeConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid ${RUNTIME_CONFIG_PATH}: ${problems.join("; ")}`);
    this.name = "RuntimeConfigError";
  }
}

const URL_FIELDS = {
  authUrl: ["http:", "https:"],
  meetingsUrl: ["http:", "https:"],
  chatUrl: ["http:", "https:"],
  livekitUrl: ["ws:", "wss:"],
} as const;

function describe(value: unknown): string {
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** Checks an untrusted value (parsed JSON) and returns it typed, or throws naming each field, rule and value. */
export function parseRuntimeConfig(value: unknown): RuntimeConfig {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new RuntimeConfigError([`(root): expected a JSON object, got ${describe(value)}`]);
  }
  const input = value as Record<string, unknown>;
  const problems: string[] = [];
  const known = new Set([...Object.keys(URL_FIELDS), "forceRelay"]);
  for (const key of Object.keys(input)) {
    if (!known.has(key)) problems.push(`${key}: unknown field, got ${describe(input[key])}`);
  }
  const urls: Record<string, string> = {};
  for (const [field, schemes] of Object.entries(URL_FIELDS)) {
    const raw = input[field];
    const rule = `expected an absolute ${schemes.join(" or ")} URL without query, fragment or trailing slash`;
    if (typeof raw !== "string") {
      problems.push(`${field}: ${rule}, got ${describe(raw)}`);
      continue;
    }
    let parsed: URL;
    try {
      parsed = new URL(raw);
    } catch {
      problems.push(`${field}: ${rule}, got ${describe(raw)}`);
      continue;
    }
    const bad =
      !(schemes as readonly string[]).includes(parsed.protocol) ||
      parsed.search !== "" ||
      parsed.hash !== "" ||
      parsed.username !== "" ||
      parsed.password !== "" ||
      raw.endsWith("/");
    if (bad) problems.push(`${field}: ${rule}, got ${describe(raw)}`);
    else urls[field] = raw;
  }
  if (input.forceRelay !== undefined && typeof input.forceRelay !== "boolean") {
    problems.push(`forceRelay: expected true or false, got ${describe(input.forceRelay)}`);
  }
  if (problems.length > 0) throw new RuntimeConfigError(problems);
  return {
    authUrl: urls.authUrl!,
    meetingsUrl: urls.meetingsUrl!,
    chatUrl: urls.chatUrl!,
    livekitUrl: urls.livekitUrl!,
    ...(input.forceRelay === true ? { forceRelay: true } : {}),
  };
}
