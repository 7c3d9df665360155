import { availableParallelism } from "node:os";
import { Counter, Gauge, type Registry } from "prom-client";
import { ApiError } from "../../shared/src/index.ts";
import type { PasswordHasher } from "./passwords.ts";

/**
 * Unbounded, a login storm occupies every core with argon2 and queues without limit, so requests that hash
 * nothing (token refresh, `GET /v1/users/me`) wait behind it. The pool keeps hashing to `concurrency` cores, lets
 * at most `queue` more wait, and refuses the rest at once with 503 and Retry-After. The server runs each slot's
 * hashes on a low-priority thread of its own (hashing-worker.ts), so the cores it keeps still yield to requests.
 */
export interface HashingPoolOptions {
  /** Hashes that may run at once (AUTH_HASH_CONCURRENCY). */
  concurrency: number;
  /** Hashes that may wait for a free slot (AUTH_HASH_QUEUE); beyond that a request is refused. */
  queue: number;
  registry?: Registry;
}

/**
 * The default concurrency: one core less than the process may use (libuv reads the container's CPU quota, libuv
 * issue 4740, https://github.com/libuv/libuv/issues/4740), so the event loop keeps a core for requests that do
 * not hash; at least one.
 */
export function defaultHashConcurrency(cores = availableParallelism()): number {
  return Math.max(1, cores - 1);
}

/** Waiting hashes per running one by default: the longest wait stays near eight hash times (~100 ms). */
export const DEFAULT_QUEUE_PER_SLOT = 8;

/** The slowest a Retry-After gets: a client should not be told to go away for longer than a short pause. */
const MAX_RETRY_AFTER_SECONDS = 30;

export class HashingBusyError extends ApiError {
  constructor(retryAfterSeconds: number) {
    super(
      503,
      "password_hashing_busy",
      `too many passwords are being checked right now; retry in ${retryAfterSeconds} s`,
      { headers: { "retry-after": String(retryAfterSeconds) } },
    );
    this.name = "HashingBusyError";
  }
}

export class HashingPool {
  readonly concurrency: number;
  readonly queueLimit: number;
  private running = 0;
  private readonly waiting: Array<() => void> = [];
  /** Smoothed duration of one hash, for Retry-After; starts at the measured ~15 ms (bench/auth). */
  private averageMs = 15;
  private readonly rejected?: Counter;

  constructor(options: HashingPoolOptions) {
    if (!Number.isInteger(options.concurrency) || options.concurrency < 1)
      throw new Error(`hashing pool: concurrency must be an integer ≥ 1, got ${options.concurrency}`);
    if (!Number.isInteger(options.queue) || options.queue < 0)
      throw new Error(`hashing pool: queue must be an integer ≥ 0, got ${options.queue}`);
    this.concurrency = options.concurrency;
    this.queueLimit = options.queue;
    if (options.registry) {
      const pool = this;
      new Gauge({
        name: "gomeet_auth_hash_pool",
        help: "Password hashes running and waiting for a slot (state=running|waiting).",
        labelNames: ["state"],
        registers: [options.registry],
        collect() {
          this.set({ state: "running" }, pool.running);
          this.set({ state: "waiting" }, pool.waiting.length);
        },
      });
      this.rejected = new Counter({
        name: "gomeet_auth_hash_rejected_total",
        help: "Requests refused with 503 because every hashing slot and queue place was taken.",
        registers: [options.registry],
      });
    }
  }

  get active(): number {
    return this.running;
  }

  get queued(): number {
    return this.waiting.length;
  }

  /**
   * Runs `task` when a slot is free. Refuses synchronously (the returned promise rejects before any hash ends)
   * with HashingBusyError when every slot is running and the queue is full.
   */
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.concurrency) {
      if (this.waiting.length >= this.queueLimit) {
        this.rejected?.inc();
        throw new HashingBusyError(this.retryAfterSeconds());
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running += 1;
    }
    const started = performance.now();
    try {
      return await task();
    } finally {
      this.averageMs = 0.8 * this.averageMs + 0.2 * (performance.now() - started);
      const next = this.waiting.shift();
      // The slot passes straight to the next waiter, so a newcomer can never overtake the queue.
      if (next) next();
      else this.running -= 1;
    }
  }

  /**
   * Refuses now when a hash asked for now would be refused: routes call it before their rate-limit and database
   * round trips, so a storm's surplus costs almost nothing (a request let through can still be refused by run).
   */
  refuseIfFull(): void {
    if (this.running >= this.concurrency && this.waiting.length >= this.queueLimit) {
      this.rejected?.inc();
      throw new HashingBusyError(this.retryAfterSeconds());
    }
  }

  /** Seconds until the work already admitted is done: when a retry has a fair chance of a place. */
  private retryAfterSeconds(): number {
    const backlogMs = ((this.running + this.waiting.length) * this.averageMs) / this.concurrency;
    return Math.min(MAX_RETRY_AFTER_SECONDS, Math.max(1, Math.ceil(backlogMs / 1000)));
  }
}

/** `hasher` with every hash and verification run through `pool` (the rehash check needs no slot). */
export function poolHasher(hasher: PasswordHasher, pool: HashingPool): PasswordHasher {
  return {
    hash: (password) => pool.run(() => hasher.hash(password)),
    verify: (stored, password) => pool.run(() => hasher.verify(stored, password)),
    needsRehash: (stored) => hasher.needsRehash(stored),
  };
}
