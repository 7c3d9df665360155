import { AccessToken } from "livekit-server-sdk";
import type { MediaPermissions } from "./media-permissions.ts";
import type { MeetingRole } from "./meeting-roles.ts";

export interface JoinTokenRequest {
  apiKey: string;
  apiSecret: string;
  room: string;
  /** The user id: one identity per user, so a second device replaces the first and a kick names one person. */
  identity: string;
  /** The participant's display name in the room; LiveKit shows the identity without one. */
  name?: string;
  meetingId: string;
  role: MeetingRole;
  permissions: MediaPermissions;
  ttlSeconds: number;
}

/**
 * A LiveKit join token (HS256, iss = API key, sub = identity: docs/sources.md#livekit-grants). The TTL is short
 * because the SFU checks the token only at join; in-meeting changes go through updateParticipant and
 * removeParticipant.
 */
export async function mintJoinToken(request: JoinTokenRequest): Promise<{ token: string; expiresAt: Date }> {
  const token = new AccessToken(request.apiKey, request.apiSecret, {
    identity: request.identity,
    ...(request.name ? { name: request.name } : {}),
    ttl: request.ttlSeconds,
    metadata: JSON.stringify({ meetingId: request.meetingId, role: request.role }),
  });
  const p = request.permissions;
  token.addGrant({
    roomJoin: true,
    room: request.room,
    roomAdmin: p.roomAdmin,
    canPublish: p.canPublish,
    canPublishSources: p.canPublishSources,
    canSubscribe: p.canSubscribe,
    canPublishData: p.canPublishData,
    canUpdateOwnMetadata: false,
  });
  const jwt = await token.toJwt();
  return { token: jwt, expiresAt: new Date(Date.now() + request.ttlSeconds * 1000) };
}
