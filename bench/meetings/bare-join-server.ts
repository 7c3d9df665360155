/**
 * The join's physical baseline: `POST /v1/meetings/{id}/join` that does only the work every join must do —
 * verify the access token against auth's JWKS (the kit's verifier, as meetings does) and sign the LiveKit token
 * with the same grants and TTL (meetings' own mintJoinToken) — with no database, no Redis and no framework.
 * The ratio of meetings' join rate to this one says how much the rest of the path costs. Started by
 * bench/meetings/joins.ts with the same environment as the real server; answers on 127.0.0.1 only.
 */
import { createServer } from "node:http";
import { clientSettingsFor } from "../../apps/meetings/src/client-settings.ts";
import { mintJoinToken } from "../../apps/meetings/src/livekit-token.ts";
import { mediaPermissions } from "../../apps/meetings/src/media-permissions.ts";
import { mainRoomName } from "../../apps/meetings/src/meetings-store.ts";
import { createTokenVerifier } from "../../apps/shared/src/index.ts";

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};

const verifier = createTokenVerifier({
  jwks: env("AUTH_JWKS_URL"),
  issuer: env("AUTH_ISSUER"),
  audience: process.env.AUTH_AUDIENCE ?? "gomeet",
});
const livekit = {
  url: env("LIVEKIT_URL"),
  apiKey: env("LIVEKIT_API_KEY"),
  apiSecret: env("LIVEKIT_API_SECRET"),
};
const ttlSeconds = 600;
const JOIN_PATH = /^\/v1\/meetings\/([0-9a-f-]{36})\/join$/;

const server = createServer((req, res) => {
  const reply = (status: number, body: unknown) => {
    res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
  };
  const meetingId = JOIN_PATH.exec(req.url ?? "")?.[1];
  if (req.method !== "POST" || !meetingId) return reply(404, { code: "not_found" });
  req.resume();
  const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1];
  if (!token) return reply(401, { code: "invalid_token" });
  verifier
    .verify(token)
    .then(async (principal) => {
      const permissions = mediaPermissions({
        role: "attendee",
        mode: "meeting",
        screenShareRoles: ["host", "co-host"],
        canPublishOverride: null,
        canScreenShareOverride: null,
      });
      const room = mainRoomName(meetingId);
      const signed = await mintJoinToken({
        apiKey: livekit.apiKey,
        apiSecret: livekit.apiSecret,
        room,
        identity: principal.subject,
        meetingId,
        role: "attendee",
        permissions,
        ttlSeconds,
      });
      reply(200, {
        url: livekit.url,
        token: signed.token,
        expiresAt: signed.expiresAt.toISOString(),
        room,
        breakoutRoom: null,
        identity: principal.subject,
        role: "attendee",
        grants: permissions,
        clientSettings: clientSettingsFor(500, "meeting"),
      });
    })
    .catch(() => reply(401, { code: "invalid_token" }));
});

server.listen(Number(env("PORT")), "127.0.0.1");
process.on("SIGTERM", () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
