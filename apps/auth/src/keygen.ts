/**
 * `tsx apps/auth/src/keygen.ts [--alg EdDSA|ES256] [--add-to FILE]`
 * Prints a JWK set (the value of AUTH_SIGNING_KEYS) holding a new private signing key, after the keys already
 * in FILE when --add-to is given (rotation step 1, docs/services/auth.md). The new kid goes to stderr.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import type { JWK } from "jose";
import { generateSigningKey, SIGNING_ALGORITHMS, type SigningAlgorithm } from "./signing-keys.ts";

export async function keygen(args: string[]): Promise<{ jwks: { keys: JWK[] }; kid: string }> {
  const { values } = parseArgs({
    args,
    options: { alg: { type: "string", default: "EdDSA" }, "add-to": { type: "string" } },
  });
  if (!SIGNING_ALGORITHMS.includes(values.alg as SigningAlgorithm)) {
    throw new Error(
      `--alg must be one of ${SIGNING_ALGORITHMS.join(", ")}, got ${JSON.stringify(values.alg)}`,
    );
  }
  const existing: JWK[] = values["add-to"]
    ? (JSON.parse(readFileSync(values["add-to"], "utf8")) as { keys: JWK[] }).keys
    : [];
  const key = await generateSigningKey(values.alg as SigningAlgorithm);
  return { jwks: { keys: [...existing, key] }, kid: key.kid as string };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    const { jwks, kid } = await keygen(process.argv.slice(2));
    process.stdout.write(`${JSON.stringify(jwks)}\n`);
    process.stderr.write(`new signing key kid: ${kid}\n`);
  } catch (error) {
    process.stderr.write(`keygen: ${(error as Error).message}\n`);
    process.exitCode = 1;
  }
}
