import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import { Redis } from "ioredis";
import { RoomServiceClient } from "livekit-server-sdk";
import postgres from "postgres";
import { call, expectStatus } from "../../e2e/support/client.ts";
import { type ControlPlane, startControlPlane } from "../../e2e/support/control-plane.ts";
import { freePort } from "../../support/processes.ts";
import type { Actor } from "./scenario.ts";

/** An account registered and signed in at auth, with what the auth operations need to act as it. */
export interface Account extends Actor {
  id: string;
  email: string;
  password: string;
  token: string;
  refreshToken: string;
  sessionId: string;
}

export interface MeetingSetup {
  capacity?: number;
  /** Started by the host's join. */
  live?: boolean;
  settings?: Record<string, unknown>;
  /** Members to add with their roles (through link invitations). */
  members?: [Account, "co-host" | "presenter" | "attendee"][];
}

/** Rate limits far above what the campaign sends, so a 429 never stands in for a concurrency outcome. */
const GENEROUS_AUTH_LIMITS: Record<string, string> = {
  AUTH_RATE_LOGIN_IP: "100000/1m",
  AUTH_RATE_LOGIN_ACCOUNT: "100000/1m",
  AUTH_RATE_REGISTER_IP: "100000/1m",
  AUTH_RATE_REFRESH_IP: "100000/1m",
  AUTH_RATE_REFRESH_ACCOUNT: "100000/1m",
};

/**
 * The real services and their state stores: auth, meetings and chat as processes, PostgreSQL, redis-server and
 * livekit-server (test/e2e/support/control-plane.ts), plus a loopback stand-in for the recordings Space that
 * accepts DELETEs, so deleting a recording never leaves this machine.
 */
export class World {
  private constructor(
    readonly plane: ControlPlane,
    readonly authDb: postgres.Sql,
    readonly meetingsDb: postgres.Sql,
    readonly redis: Redis,
    readonly rooms: RoomServiceClient,
    private readonly storage: Server,
  ) {}

  static async start(adminUrl: string): Promise<World> {
    const storagePort = await freePort();
    const storage = createServer((req, res) => {
      req.resume();
      res.writeHead(req.method === "DELETE" ? 204 : 405).end();
    });
    await new Promise<void>((resolve) => storage.listen(storagePort, "127.0.0.1", resolve));
    const plane = await startControlPlane(adminUrl, {
      auth: GENEROUS_AUTH_LIMITS,
      meetings: { RECORDINGS_S3_ENDPOINT: `http://127.0.0.1:${storagePort}` },
      chat: { CHAT_MEMBERSHIP_CACHE_MS: "0" },
    });
    const rooms = new RoomServiceClient(plane.livekit.url, plane.livekitApiKey, plane.livekitApiSecret);
    return new World(
      plane,
      postgres(plane.databaseUrls.auth, { max: 2, onnotice: () => undefined }),
      postgres(plane.databaseUrls.meetings, { max: 2, onnotice: () => undefined }),
      new Redis(plane.redisUrl, { maxRetriesPerRequest: 2 }),
      rooms,
      storage,
    );
  }

  get authUrl(): string {
    return this.plane.auth.baseUrl;
  }
  get meetingsUrl(): string {
    return this.plane.meetings.baseUrl;
  }

  /** Registers an account and signs in (one session). */
  async account(label: string): Promise<Account> {
    const email = `${label}.${randomBytes(5).toString("hex")}@example.com`;
    const password = `${randomBytes(12).toString("base64url")} campaign`;
    expectStatus(
      await call(this.authUrl, "POST", "/v1/auth/register", {
        json: { email, displayName: label, password },
      }),
      202,
    );
    const session = await this.signIn(email, password);
    const me = expectStatus<{ id: string }>(
      await call(this.authUrl, "GET", "/v1/users/me", { token: session.token }),
      200,
    );
    return { label, id: me.id, email, password, ...session };
  }

  /** Another session of an existing account. */
  async signIn(
    email: string,
    password: string,
  ): Promise<{ token: string; refreshToken: string; sessionId: string }> {
    const pair = expectStatus<{ accessToken: string; refreshToken: string; sessionId: string }>(
      await call(this.authUrl, "POST", "/v1/auth/login", { json: { email, password } }),
      200,
    );
    return { token: pair.accessToken, refreshToken: pair.refreshToken, sessionId: pair.sessionId };
  }

  async session(account: Account, label: string): Promise<Account> {
    return { ...account, label, ...(await this.signIn(account.email, account.password)) };
  }

  async makeAdmin(account: Account): Promise<void> {
    await this.authDb`update users set roles = '{admin,member}' where id = ${account.id}`;
  }

  meetings(method: string, path: string, actor: Actor, json?: unknown) {
    return call(this.meetingsUrl, method, path, { token: actor.token, json });
  }

  async invite(
    meetingId: string,
    host: Actor,
    body: Record<string, unknown>,
  ): Promise<{ id: string; code: string }> {
    return expectStatus(
      await this.meetings("POST", `/v1/meetings/${meetingId}/invitations`, host, body),
      201,
    );
  }

  async meeting(host: Account, setup: MeetingSetup = {}): Promise<string> {
    const created = expectStatus<{ id: string }>(
      await this.meetings("POST", "/v1/meetings", host, {
        title: "Campaign meeting",
        startsAt: new Date().toISOString(),
        durationMinutes: 60,
        capacity: setup.capacity ?? 20,
        settings: setup.settings ?? {},
      }),
      201,
    );
    for (const [member, role] of setup.members ?? []) {
      const { code } = await this.invite(created.id, host, {
        kind: "link",
        role,
        maxUses: 1,
        expiresInSeconds: 600,
      });
      expectStatus(await this.meetings("POST", "/v1/invitations/accept", member, { code }), 200);
    }
    if (setup.live) expectStatus(await this.meetings("POST", `/v1/meetings/${created.id}/join`, host), 200);
    return created.id;
  }

  async stop(): Promise<void> {
    await this.authDb.end();
    await this.meetingsDb.end();
    this.redis.disconnect();
    this.storage.close();
    await this.plane.stop();
  }
}
