import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { type CryptoKey, exportSPKI, importJWK, type JWK, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { ACCESS_TOKEN_TYPE, createTokenVerifier, type TokenVerifier } from "../../shared/src/index.ts";
import { generateSigningKey } from "../src/signing-keys.ts";
import {
  AUDIENCE,
  type AuthHarness,
  ISSUER,
  type SignedInUser,
  signUp,
  startAuthHarness,
} from "./harness.ts";

/**
 * Every kind of bad token is refused twice over: by auth's own endpoints and by the shared middleware other
 * services use, which fetches auth's JWKS over HTTP (a real server on loopback).
 */
let h: AuthHarness;
let server: ReturnType<typeof serve>;
let jwksUrl: string;
let remote: TokenVerifier;
let user: SignedInUser;

beforeAll(async () => {
  h = await startAuthHarness(inject("postgresAdminUrl"), { accessTokenTtlSeconds: 2 }, "auth_tokens");
  server = serve({ fetch: h.service.app.fetch, port: 0, hostname: "127.0.0.1" });
  await new Promise((r) => server.once("listening", r));
  jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
  remote = createTokenVerifier({
    jwks: jwksUrl,
    issuer: ISSUER,
    audience: AUDIENCE,
    clockToleranceSeconds: 0,
  });
  user = await signUp(h);
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
  await h.stop();
});

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
const now = () => Math.floor(Date.now() / 1000);

function claims(overrides: Record<string, unknown> = {}) {
  const t = now();
  return {
    iss: ISSUER,
    aud: AUDIENCE,
    sub: user.id,
    sid: user.sessionId,
    roles: ["member"],
    jti: crypto.randomUUID(),
    iat: t,
    nbf: t,
    exp: t + 120,
    ...overrides,
  };
}

async function signWith(
  key: CryptoKey | Uint8Array,
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
) {
  return await new SignJWT(payload).setProtectedHeader(header as { alg: string }).sign(key);
}

const goodHeader = () => ({ alg: "EdDSA", kid: h.keys.current.kid, typ: ACCESS_TOKEN_TYPE });

async function expectRefused(token: string) {
  const res = await h.request("/v1/users/me", { token });
  expect(res.status).toBe(401);
  expect(res.headers.get("content-type")).toBe("application/problem+json");
  expect(res.headers.get("www-authenticate")).toContain("Bearer");
  await expect(remote.verify(token)).rejects.toMatchObject({ status: 401 });
}

describe("refused tokens", () => {
  it("accepts the control: a correctly forged token with the real key", async () => {
    const token = await signWith(h.keys.current.privateKey, goodHeader(), claims());
    expect((await h.request("/v1/users/me", { token })).status).toBe(200);
    expect((await remote.verify(token)).subject).toBe(user.id);
  });

  it("expired", async () => {
    await expectRefused(
      await signWith(
        h.keys.current.privateKey,
        goodHeader(),
        claims({ iat: now() - 600, nbf: now() - 600, exp: now() - 60 }),
      ),
    );
  });

  it("not yet valid", async () => {
    await expectRefused(
      await signWith(h.keys.current.privateKey, goodHeader(), claims({ nbf: now() + 600 })),
    );
  });

  it("issued in the future beyond the 60 s clock skew (iat an hour ahead, otherwise valid)", async () => {
    const token = await signWith(
      h.keys.current.privateKey,
      goodHeader(),
      claims({ iat: now() + 3600, nbf: now(), exp: now() + 3720 }),
    );
    await expectRefused(token);
    const res = await h.request("/v1/users/me", { token });
    expect(((await res.json()) as { detail: string }).detail).toMatch(
      /iat lies \d+ s in the future \(at most 60 s of clock skew is accepted\)/,
    );
  });

  it("wrong audience", async () => {
    await expectRefused(await signWith(h.keys.current.privateKey, goodHeader(), claims({ aud: "chat" })));
    await expectRefused(
      await signWith(h.keys.current.privateKey, goodHeader(), claims({ aud: "meetings-admin" })),
    );
  });

  it("wrong issuer", async () => {
    await expectRefused(
      await signWith(h.keys.current.privateKey, goodHeader(), claims({ iss: "https://evil.example" })),
    );
  });

  it("alg none", async () => {
    await expectRefused(`${b64({ alg: "none", typ: ACCESS_TOKEN_TYPE })}.${b64(claims())}.`);
    await expectRefused(
      `${b64({ alg: "none", kid: h.keys.current.kid, typ: ACCESS_TOKEN_TYPE })}.${b64(claims())}.`,
    );
  });

  it("HS256 keyed with the public key (algorithm confusion)", async () => {
    const publicJwk = h.keys.publicJwks.keys[0] as JWK;
    const pem = await exportSPKI((await importJWK(publicJwk, "EdDSA")) as CryptoKey);
    const secrets = [
      new TextEncoder().encode(pem),
      new TextEncoder().encode(JSON.stringify(publicJwk)),
      Buffer.from(publicJwk.x as string, "base64url"),
    ];
    for (const secret of secrets) {
      await expectRefused(await signWith(secret, { ...goodHeader(), alg: "HS256" }, claims()));
    }
  });

  it("tampered payload or signature", async () => {
    const token = await signWith(h.keys.current.privateKey, goodHeader(), claims());
    const [header, , signature] = token.split(".");
    await expectRefused(`${header}.${b64(claims({ roles: ["admin", "member"] }))}.${signature}`);
    const flipped = `${signature!.slice(0, 10)}${signature![10] === "A" ? "B" : "A"}${signature!.slice(11)}`;
    await expectRefused(`${header}.${token.split(".")[1]}.${flipped}`);
  });

  it("signed by a key that is not in the JWKS, with a known or an unknown kid", async () => {
    const stranger = await generateSigningKey("EdDSA");
    const key = (await importJWK(stranger, "EdDSA")) as CryptoKey;
    await expectRefused(await signWith(key, goodHeader(), claims()));
    await expectRefused(await signWith(key, { ...goodHeader(), kid: stranger.kid }, claims()));
  });

  it("of another type (a chat ticket presented as an access token, or no typ)", async () => {
    await expectRefused(
      await signWith(h.keys.current.privateKey, { ...goodHeader(), typ: "chat-ticket+jwt" }, claims()),
    );
    await expectRefused(
      await signWith(h.keys.current.privateKey, { alg: "EdDSA", kid: h.keys.current.kid }, claims()),
    );
  });

  it("garbage and missing headers", async () => {
    for (const token of ["", "abc", "a.b.c", "Bearer", `${"x".repeat(5000)}`]) {
      const res = await h.request("/v1/users/me", { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(401);
    }
    expect((await h.request("/v1/users/me")).status).toBe(401);
    expect(
      (await h.request("/v1/users/me", { headers: { authorization: "Basic dXNlcjpwdw==" } })).status,
    ).toBe(401);
  });
});

describe("disabled users", () => {
  it("lose access at the next refresh, and their access tokens stop working within the access-token lifetime", async () => {
    const admin = await signUp(h, { admin: true });
    const victim = await signUp(h);
    expect((await remote.verify(victim.accessToken)).subject).toBe(victim.id);
    const disabled = await h.request(`/v1/admin/users/${victim.id}/disable`, {
      method: "POST",
      json: {},
      token: admin.accessToken,
    });
    expect(disabled.status).toBe(200);
    // Auth itself checks the account on every request: refused at once.
    expect((await h.request("/v1/users/me", { token: victim.accessToken })).status).toBe(401);
    // The next refresh is refused.
    const refresh = await h.request("/v1/auth/refresh", {
      method: "POST",
      json: { refreshToken: victim.refreshToken },
    });
    expect(refresh.status).toBe(401);
    // Other services verify the token alone; it lapses at exp (2 s in this test; 300 s by default).
    const { expiresAt } = await remote.verify(victim.accessToken);
    await new Promise((r) => setTimeout(r, Math.max(0, expiresAt * 1000 - Date.now()) + 1_100));
    await expect(remote.verify(victim.accessToken)).rejects.toMatchObject({
      status: 401,
      code: "token_expired",
    });
  });
});

describe("remote JWKS", () => {
  it("picks up a key added to the set on first sight of its kid, after the refetch cooldown", async () => {
    const verifier = createTokenVerifier({
      jwks: jwksUrl,
      issuer: ISSUER,
      audience: AUDIENCE,
      jwksCooldownMs: 500,
    });
    const next = await generateSigningKey("EdDSA");
    const key = (await importJWK(next, "EdDSA")) as CryptoKey;
    const token = await signWith(key, { alg: "EdDSA", kid: next.kid, typ: ACCESS_TOKEN_TYPE }, claims());
    await expect(verifier.verify(token)).rejects.toMatchObject({ status: 401 });
    // Rotation step 1 publishes the next key; a verifier that has cached the old set refetches on an unknown kid.
    const { d: _private, ...publicNext } = next;
    h.keys.publicJwks.keys.push({ ...publicNext, use: "sig" });
    try {
      await expect(verifier.verify(token)).rejects.toMatchObject({ status: 401 });
      await new Promise((r) => setTimeout(r, 600));
      expect((await verifier.verify(token)).subject).toBe(user.id);
    } finally {
      h.keys.publicJwks.keys.pop();
    }
  });
});
