import { randomBytes } from "node:crypto";
import { type Algorithm, hash, parseOptions, verify } from "@node-rs/argon2";

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

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  /** Verifies against `stored`, or against a fixed decoy hash when there is no user, so both take as long. */
  verify(stored: string | undefined, password: string): Promise<boolean>;
  /** True when `stored` was made with weaker parameters than the current ones. */
  needsRehash(stored: string): boolean;
}

export async function createPasswordHasher(params: Argon2Params = DEFAULT_ARGON2): Promise<PasswordHasher> {
  const problem = checkArgon2Params(params);
  if (problem) throw new Error(problem);
  const options = { algorithm: ARGON2ID, ...params };
  const decoy = await hash(randomBytes(32), options);
  return {
    hash: (password) => hash(password, options),
    async verify(stored, password) {
      try {
        const ok = await verify(stored ?? decoy, password);
        return stored !== undefined && ok;
      } catch {
        return false;
      }
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
