import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import { exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RedisServer, useTestRedis } from "../../../test/support/redis.ts";
import {
  ApiError,
  createRedis,
  createTokenVerifier,
  MAX_CLOCK_SKEW_SECONDS,
  publishAccessEvent,
  RevocationList,
  redisReady,
  StreamFollower,
} from "../src/index.ts";

const ISSUER = "https://auth.gomeet.test";
const AUDIENCE = "gomeet";

let server: RedisServer;
let redis: Redis;
let privateKey: Awaited<ReturnType<typeof generateKeyPair>>["privateKey"];
let publicJwk: JWK;
beforeAll(async () => {
  server = await useTestRedis();
  redis = createRedis({ url: server.url });
  await redisReady(redis);
  const pair = await generateKeyPair("EdDSA", { crv: "Ed25519" });
  privateKey = pair.privateKey;
  publicJwk = { ...(await exportJWK(pair.publicKey)), kid: "k1", alg: "EdDSA", use: "sig" };
});
afterAll(async () => {
  redis.disconnect();
  await server.stop();
});

async function accessToken(claims: { sub: string; sid: string; iat?: number }): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const iat = claims.iat ?? now;
  return await new SignJWT({ sid: claims.sid, roles: ["member"] })
    .setProtectedHeader({ alg: "EdDSA", kid: "k1", typ: "at+jwt" })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setSubject(claims.sub)
    .setJti(randomUUID())
    .setIssuedAt(iat)
    .setNotBefore(Math.min(now, iat))
    .setExpirationTime(Math.max(now, iat) + 300)
    .sign(privateKey);
}

async function refusal(promise: Promise<unknown>): Promise<{ code: string; detail: string }> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof ApiError)) throw new Error(`expected a 401 ApiError, got ${String(error)}`);
  expect(error.status).toBe(401);
  return { code: error.code, detail: error.detail };
}

async function until(what: string, condition: () => Promise<boolean> | boolean, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe("iat in the future", () => {
  const verifier = () =>
    createTokenVerifier({ jwks: { keys: [publicJwk] }, issuer: ISSUER, audience: AUDIENCE });

  it(`refuses a token issued more than ${MAX_CLOCK_SKEW_SECONDS} s ahead and names the skew`, async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = await accessToken({ sub: randomUUID(), sid: randomUUID(), iat: now + 3600 });
    const { code, detail } = await refusal(verifier().verify(token));
    expect(code).toBe("invalid_token");
    expect(detail).toMatch(/iat lies 3[56]\d\d s in the future \(at most 60 s of clock skew is accepted\)/);
  });

  it("accepts a token issued within the skew (a verifier clock slightly behind the issuer's)", async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = await accessToken({ sub: randomUUID(), sid: randomUUID(), iat: now + 30 });
    const principal = await verifier().verify(token);
    expect(principal.issuedAt).toBe(now + 30);
  });
});

describe("revocations from the access-event stream", () => {
  it("refuses an ended session's tokens and a disabled user's older tokens, read back at start and followed live", async () => {
    const ended = { sub: randomUUID(), sid: randomUUID() };
    const disabled = { sub: randomUUID(), sid: randomUUID() };
    const untouched = { sub: randomUUID(), sid: randomUUID() };
    const endedToken = await accessToken(ended);
    const disabledToken = await accessToken(disabled);
    const untouchedToken = await accessToken(untouched);
    // Published before the verifier starts: it must read it back.
    await publishAccessEvent(redis, {
      kind: "session_ended",
      sessionId: ended.sid,
      userId: ended.sub,
      at: Math.floor(Date.now() / 1000),
    });

    const revocations = new RevocationList();
    const follower = revocations.follow({ connection: redis.duplicate() });
    await follower.start();
    try {
      const verifier = createTokenVerifier({
        jwks: { keys: [publicJwk] },
        issuer: ISSUER,
        audience: AUDIENCE,
        revocations,
      });
      expect(await refusal(verifier.verify(endedToken))).toEqual({
        code: "session_ended",
        detail: "the session of this token has ended",
      });
      expect((await verifier.verify(disabledToken)).subject).toBe(disabled.sub);

      const at = Math.floor(Date.now() / 1000);
      await publishAccessEvent(redis, { kind: "user_disabled", userId: disabled.sub, at });
      await until("the disable to reach the verifier", async () =>
        verifier.verify(disabledToken).then(
          () => false,
          () => true,
        ),
      );
      expect((await refusal(verifier.verify(disabledToken))).code).toBe("account_disabled");
      // A token issued after a later re-enable is not caught by the old disable.
      const later = await accessToken({ ...disabled, iat: at + 1 });
      expect((await verifier.verify(later)).subject).toBe(disabled.sub);
      expect((await verifier.verify(untouchedToken)).subject).toBe(untouched.sub);
    } finally {
      await revocations.stop();
    }
  });

  it("loses no event published while its connection was down: it resumes from the last entry it read", async () => {
    const stream = `kit-test:events:${randomUUID()}`;
    const seen: string[] = [];
    const connection = redis.duplicate({ connectionName: "kit-test-follower" });
    const follower = new StreamFollower({
      connection,
      stream,
      replayMs: 0,
      blockMs: 200,
      onEvent: (event) => seen.push(String(event.n)),
    });
    await follower.start();
    try {
      const { appendEvent } = await import("../src/index.ts");
      await appendEvent(redis, stream, { n: 1 }, 60_000);
      await until("event 1", () => seen.length === 1);
      const killed = await redis.client("KILL", "ID", String(await connection.client("ID")));
      expect(killed).toBe(1);
      // Appended while the follower reconnects (its retry waits at least 100 ms).
      await appendEvent(redis, stream, { n: 2 }, 60_000);
      await appendEvent(redis, stream, { n: 3 }, 60_000);
      await until("events 2 and 3 after the reconnect", () => seen.length === 3);
      expect(seen).toEqual(["1", "2", "3"]);
      await expect(follower.readiness("stream").check()).resolves.toBeUndefined();
    } finally {
      await follower.stop();
    }
  });
});
