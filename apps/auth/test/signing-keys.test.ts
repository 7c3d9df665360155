import { describe, expect, it } from "vitest";
import { createTokenVerifier } from "../../shared/src/index.ts";
import { generateSigningKey, loadSigningKeys } from "../src/signing-keys.ts";
import { TokenIssuer } from "../src/tokens.ts";

describe("AUTH_SIGNING_KEYS", () => {
  it("signs with the key AUTH_SIGNING_KID names and publishes every key's public half", async () => {
    const [old, next] = [await generateSigningKey("EdDSA"), await generateSigningKey("ES256")];
    const keys = await loadSigningKeys(JSON.stringify({ keys: [old, next] }), next.kid);
    expect(keys.current).toMatchObject({ kid: next.kid, alg: "ES256" });
    expect(keys.publicJwks.keys.map((k) => k.kid)).toEqual([old.kid, next.kid]);
    for (const k of keys.publicJwks.keys) expect(k).not.toHaveProperty("d");

    const issuer = new TokenIssuer({
      keys,
      issuer: "https://auth.test",
      audience: "gomeet",
      accessTokenTtlSeconds: 60,
      chatTicketTtlSeconds: 10,
    });
    const { token } = await issuer.accessToken(
      { id: "8d7f3a0e-0000-4000-8000-000000000001", roles: ["member"] },
      "s1",
    );
    const header = JSON.parse(Buffer.from(token.split(".")[0] as string, "base64url").toString());
    expect(header).toEqual({ alg: "ES256", kid: next.kid, typ: "at+jwt" });
    const verifier = createTokenVerifier({
      jwks: keys.publicJwks,
      issuer: "https://auth.test",
      audience: "gomeet",
    });
    expect(await verifier.verify(token)).toMatchObject({ roles: ["member"], sessionId: "s1" });
  });

  it("refuses bad key sets with the reason and without repeating key material", async () => {
    const key = await generateSigningKey("EdDSA");
    const cases: [string, string | undefined, string][] = [
      ["{nope", undefined, "AUTH_SIGNING_KEYS: expected a JWK set as JSON"],
      [JSON.stringify({ keys: [] }), undefined, 'expected {"keys": [...]} with at least one key'],
      [JSON.stringify({ keys: [{ ...key, kid: undefined }] }), undefined, 'key 1: expected a "kid"'],
      [
        JSON.stringify({ keys: [{ ...key, alg: "HS256" }] }),
        undefined,
        '"alg" must be one of EdDSA, ES256, got "HS256"',
      ],
      [
        JSON.stringify({ keys: [{ ...key, d: undefined }] }),
        undefined,
        'expected a private key (member "d")',
      ],
      [JSON.stringify({ keys: [{ ...key, d: "AAAA" }] }), undefined, "not a valid EdDSA private key"],
      [JSON.stringify({ keys: [key, { ...key }] }), key.kid, "appears twice"],
      [
        JSON.stringify({ keys: [key, await generateSigningKey()] }),
        undefined,
        "AUTH_SIGNING_KID: required when",
      ],
      [JSON.stringify({ keys: [key] }), "missing", 'AUTH_SIGNING_KID: no key with kid "missing"'],
    ];
    for (const [json, kid, message] of cases) {
      const error = await loadSigningKeys(json, kid).then(
        () => undefined,
        (e: Error) => e,
      );
      expect(error?.message, json).toContain(message);
      expect(error?.message).not.toContain(key.d as string);
    }
  });
});
