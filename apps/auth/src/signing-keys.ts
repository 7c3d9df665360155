import { randomBytes } from "node:crypto";
import { type CryptoKey, exportJWK, generateKeyPair, importJWK, type JSONWebKeySet, type JWK } from "jose";

/** Algorithms auth signs with; verifiers pin the same list (ASVS 9.1.2). */
export const SIGNING_ALGORITHMS = ["EdDSA", "ES256"] as const;
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];

export interface SigningKey {
  kid: string;
  alg: SigningAlgorithm;
  privateKey: CryptoKey;
}

export interface SigningKeys {
  /** The key new tokens are signed with. */
  current: SigningKey;
  /** Public halves of every key in the set (current, upcoming and retired), served at /.well-known/jwks.json. */
  publicJwks: JSONWebKeySet;
}

const PRIVATE_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "k", "oth"] as const;

function publicPart(jwk: JWK): JWK {
  const pub: JWK = { ...jwk };
  for (const member of PRIVATE_MEMBERS) delete (pub as Record<string, unknown>)[member];
  delete pub.key_ops;
  return { ...pub, use: "sig" };
}

/**
 * Reads AUTH_SIGNING_KEYS (a JWK set of private keys, each with `kid` and `alg`) and AUTH_SIGNING_KID (which
 * of them signs; optional when the set holds one key). Errors name the variable and the key's position, never
 * a key's material.
 */
export async function loadSigningKeys(json: string, currentKid: string | undefined): Promise<SigningKeys> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new Error(
      'AUTH_SIGNING_KEYS: expected a JWK set as JSON ({"keys": [...]}), got text that is not JSON',
    );
  }
  const keys = (parsed as { keys?: unknown })?.keys;
  if (!Array.isArray(keys) || keys.length === 0)
    throw new Error('AUTH_SIGNING_KEYS: expected {"keys": [...]} with at least one key');
  const seen = new Set<string>();
  const loaded: Array<{ jwk: JWK; key: SigningKey }> = [];
  for (const [index, raw] of keys.entries()) {
    const jwk = raw as JWK;
    const where = `AUTH_SIGNING_KEYS: key ${index + 1}`;
    if (typeof jwk?.kid !== "string" || jwk.kid.length === 0) throw new Error(`${where}: expected a "kid"`);
    if (seen.has(jwk.kid)) throw new Error(`${where}: kid ${JSON.stringify(jwk.kid)} appears twice`);
    seen.add(jwk.kid);
    if (!SIGNING_ALGORITHMS.includes(jwk.alg as SigningAlgorithm)) {
      throw new Error(
        `${where} (kid ${jwk.kid}): "alg" must be one of ${SIGNING_ALGORITHMS.join(", ")}, got ${JSON.stringify(jwk.alg)}`,
      );
    }
    if (typeof jwk.d !== "string")
      throw new Error(`${where} (kid ${jwk.kid}): expected a private key (member "d")`);
    let privateKey: CryptoKey;
    try {
      privateKey = (await importJWK(jwk, jwk.alg)) as CryptoKey;
    } catch {
      throw new Error(`${where} (kid ${jwk.kid}): not a valid ${jwk.alg} private key`);
    }
    loaded.push({ jwk, key: { kid: jwk.kid, alg: jwk.alg as SigningAlgorithm, privateKey } });
  }
  if (currentKid === undefined && loaded.length > 1) {
    throw new Error(
      "AUTH_SIGNING_KID: required when AUTH_SIGNING_KEYS holds more than one key (it names the key that signs)",
    );
  }
  const current = currentKid === undefined ? loaded[0] : loaded.find((k) => k.key.kid === currentKid);
  if (!current)
    throw new Error(`AUTH_SIGNING_KID: no key with kid ${JSON.stringify(currentKid)} in AUTH_SIGNING_KEYS`);
  return { current: current.key, publicJwks: { keys: loaded.map((k) => publicPart(k.jwk)) } };
}

/** A new private signing key as a JWK with a date-stamped kid. */
export async function generateSigningKey(alg: SigningAlgorithm = "EdDSA", now = new Date()): Promise<JWK> {
  const { privateKey } = await generateKeyPair(alg, {
    extractable: true,
    ...(alg === "EdDSA" ? { crv: "Ed25519" } : {}),
  });
  const jwk = await exportJWK(privateKey);
  const kid = `${now.toISOString().slice(0, 10)}-${randomBytes(4).toString("hex")}`;
  return { ...jwk, kid, alg, use: "sig" };
}
