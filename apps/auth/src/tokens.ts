import { randomUUID } from "node:crypto";
import { SignJWT } from "jose";
import { ACCESS_TOKEN_TYPE, CHAT_TICKET_AUDIENCE, CHAT_TICKET_TYPE } from "../../shared/src/index.ts";
import type { SigningKeys } from "./signing-keys.ts";

export interface IssuedToken {
  token: string;
  expiresIn: number;
}

export interface TokenIssuerOptions {
  keys: SigningKeys;
  issuer: string;
  audience: string;
  accessTokenTtlSeconds: number;
  chatTicketTtlSeconds: number;
}

/**
 * Signs the two kinds of JWT auth hands out. Each has its own `typ` and audience, so a verifier configured for
 * one refuses the other (ASVS 9.2.2): access tokens (`at+jwt`, RFC 9068) for the HTTP APIs, and chat tickets
 * (`chat-ticket+jwt`, audience `chat`) for the chat WebSocket handshake only.
 */
export class TokenIssuer {
  constructor(private readonly options: TokenIssuerOptions) {}

  private async sign(
    type: string,
    audience: string,
    ttlSeconds: number,
    subject: string,
    claims: Record<string, unknown>,
  ): Promise<IssuedToken> {
    const { current } = this.options.keys;
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT(claims)
      .setProtectedHeader({ alg: current.alg, kid: current.kid, typ: type })
      .setIssuer(this.options.issuer)
      .setAudience(audience)
      .setSubject(subject)
      .setJti(randomUUID())
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + ttlSeconds)
      .sign(current.privateKey);
    return { token, expiresIn: ttlSeconds };
  }

  /**
   * `email` is the address the account is registered with (stored normalized); meetings checks it against the
   * address an email invitation was sent to.
   */
  accessToken(
    user: { id: string; roles: string[]; email?: string },
    sessionId: string,
  ): Promise<IssuedToken> {
    return this.sign(ACCESS_TOKEN_TYPE, this.options.audience, this.options.accessTokenTtlSeconds, user.id, {
      roles: user.roles,
      sid: sessionId,
      ...(user.email !== undefined ? { email: user.email } : {}),
    });
  }

  /**
   * A ticket for one meeting's chat socket: `mid` is the meeting, `name` the display name chat shows, `sid` the
   * session it was asked for under (chat closes the socket when that session ends).
   */
  chatTicket(
    user: { id: string; roles: string[]; displayName: string },
    meetingId: string,
    sessionId?: string,
  ): Promise<IssuedToken> {
    return this.sign(CHAT_TICKET_TYPE, CHAT_TICKET_AUDIENCE, this.options.chatTicketTtlSeconds, user.id, {
      roles: user.roles,
      mid: meetingId,
      name: user.displayName,
      ...(sessionId !== undefined ? { sid: sessionId } : {}),
    });
  }
}
