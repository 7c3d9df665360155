import { createPrivateKey } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { failAs } from "../resource-error.ts";

/**
 * Auth's access-token signing keys, generated and kept by the stack (ES256: ECDSA P-256 keys from the TLS
 * provider, held only in encrypted state). `generations` lists key labels oldest first: the last one signs,
 * the others stay published in the JWKS so tokens signed before a rotation still verify. Rotation: append a
 * label, `pulumi up` (new key signs, old key published), then after the access-token lifetime plus the JWKS
 * cache age (docs/services/auth.md) drop the old label and `pulumi up` again.
 */
export class AuthSigningKeys extends pulumi.ComponentResource {
  /** AUTH_SIGNING_KEYS: the JWK set of private keys, as JSON; secret. */
  readonly jwks: pulumi.Output<string>;
  /** AUTH_SIGNING_KID: the kid of the key that signs. */
  readonly currentKid: string;

  constructor(name: string, args: { generations: string[] }, opts?: pulumi.ComponentResourceOptions) {
    super("gomeet:apps:AuthSigningKeys", name, {}, opts);
    const keys = args.generations.map((generation) => {
      const key = new tls.PrivateKey(
        `${name}-${generation}`,
        { algorithm: "ECDSA", ecdsaCurve: "P256" },
        {
          parent: this,
          additionalSecretOutputs: ["privateKeyPem", "privateKeyPemPkcs8", "privateKeyOpenssh"],
        },
      );
      return key.privateKeyPem.apply((pem) => failAs(this, () => privateJwk(pem, signingKid(generation))));
    });
    this.currentKid = signingKid(args.generations[args.generations.length - 1] ?? "");
    this.jwks = pulumi.secret(pulumi.all(keys).apply((jwks) => JSON.stringify({ keys: jwks })));
    this.registerOutputs({ currentKid: this.currentKid });
  }
}

export function signingKid(generation: string): string {
  return `gomeet-${generation}`;
}

/** A PEM EC private key as the private JWK auth loads (apps/auth/src/signing-keys.ts: `kid`, `alg`, `d`). */
export function privateJwk(pem: string, kid: string): Record<string, unknown> {
  const jwk = createPrivateKey(pem).export({ format: "jwk" }) as Record<string, unknown>;
  if (jwk.kty !== "EC" || jwk.crv !== "P-256") {
    throw new Error(
      `signing key ${kid}: expected an EC P-256 key, got ${String(jwk.kty)} ${String(jwk.crv)}`,
    );
  }
  return { ...jwk, kid, alg: "ES256", use: "sig" };
}
