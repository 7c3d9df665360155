import { randomBytes } from "node:crypto";
import { type Algorithm, hash, type Options, parseOptions, verify } from "@node-rs/argon2";

/** argon2id cost: memory in KiB, passes, lanes. */
export interface Argon2Params {
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

/**
 * Default cost: m = 19 MiB (19456 KiB), t = 2, p = 1 — the argon2id minimum of OWASP ASVS 5.0.0 Appendix C
 * ("Hash Functions for Password Storage"), also the first configuration of the OWASP Password Storage Cheat
 * Sheet. About 10 ms of CPU per hash on a 2-vCPU machine (bench/auth/RESULTS.md).
 */
export const DEFAULT_ARGON2: Argon2Params = { memoryCost: 19_456, timeCost: 2, parallelism: 1 };

/** `@node-rs/argon2`'s Algorithm.Argon2id (a const enum, which isolated modules cannot reference). */
const ARGON2ID = 2 as Algorithm;

/** The ASVS Appendix C minimum memory for a given pass count (t=1: 46 MiB, t=2: 19 MiB, t≥3: 12 MiB). */
function minimumMemoryKib(timeCost: number): number {
  if (timeCost <= 1) return 47_104;
  if (timeCost === 2) return 19_456;
  return 12_288;
}

/** Why `params` fall below the ASVS minimum, or undefined when they meet it. */
export function checkArgon2Params(params: Argon2Params): string | undefined {
  const min = minimumMemoryKib(params.timeCost);
  if (params.memoryCost < min) {
    return `argon2id with t=${params.timeCost} needs at least ${min} KiB of memory (OWASP ASVS 5.0 Appendix C)`;
  }
  return undefined;
}

/**
 * Where argon2id runs. `verify` resolves false for a wrong password and for a stored hash it cannot read; it
 * rejects only when the hash could not be computed at all (a hashing thread died), so that is never taken for a
 * wrong password.
 */
export interface Argon2Runner {
  hash(password: string | Uint8Array, options: Options): Promise<string>;
  verify(stored: string, password: string): Promise<boolean>;
}

/**
 * `@node-rs/argon2`'s async functions: libuv's thread pool, at the event loop's priority. The server uses
 * HashingThreads (hashing-worker.ts) instead; this one serves the tests that build the app in-process.
 */
export const libuvArgon2: Argon2Runner = {
  hash: (password, options) => hash(password, options),
  verify: (stored, password) => verify(stored, password).catch(() => false),
};

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  /** Verifies against `stored`, or against a fixed decoy hash when there is no user, so both take as long. */
  verify(stored: string | undefined, password: string): Promise<boolean>;
  /** True when `stored` was made with weaker parameters than the current ones. */
  needsRehash(stored: string): boolean;
}

export async function createPasswordHasher(
  params: Argon2Params = DEFAULT_ARGON2,
  runner: Argon2Runner = libuvArgon2,
): Promise<PasswordHasher> {
  const problem = checkArgon2Params(params);
  if (problem) throw new Error(problem);
  const options: Options = { algorithm: ARGON2ID, ...params };
  const decoy = await runner.hash(randomBytes(32), options);
  return {
    hash: (password) => runner.hash(password, options),
    async verify(stored, password) {
      const ok = await runner.verify(stored ?? decoy, password);
      return stored !== undefined && ok;
    },
    needsRehash(stored) {
      try {
        const used = parseOptions(stored);
        return (
          used.algorithm !== ARGON2ID ||
          used.memoryCost < params.memoryCost ||
          used.timeCost < params.timeCost
        );
      } catch {
        return true;
      }
    },
  };
}
