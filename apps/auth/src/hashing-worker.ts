/**
 * Password hashing threads: `node:worker_threads` Workers that each run argon2id synchronously and, at start,
 * lower their own thread's CPU priority. On libuv's thread pool (the async `hash`/`verify` of `@node-rs/argon2`)
 * a hash competes at the same priority as the event loop, so during a login storm reads wait for a core behind it
 * (bench/auth/RESULTS.md, "Login isolation"). A thread of its own can be reniced alone: on Linux the nice value is
 * a per-thread attribute and setpriority(2) given a thread ID changes only that thread (setpriority(2), "BUGS",
 * https://man7.org/linux/man-pages/man2/setpriority.2.html). The kernel then gives the core to the event loop
 * whenever both want it; an idle core still hashes at full speed.
 *
 * This one module is both sides: imported, it exports HashingThreads; started as a Worker (workerData.role) it is
 * a hashing thread. Spawning `import.meta.url` finds the same file as sources (.ts) and compiled (.js). The thread
 * side imports nothing but Node and argon2, so Node can load it by stripping types (vitest) as well as via tsx.
 */
import { readlinkSync } from "node:fs";
import { setPriority } from "node:os";
import { isMainThread, type MessagePort, parentPort, Worker, workerData } from "node:worker_threads";
import { hashSync, type Options, verifySync } from "@node-rs/argon2";
import type { Logger } from "../../shared/src/index.ts";
import type { Argon2Runner } from "./passwords.ts";

const ROLE = "gomeet-auth-hashing";

type Job =
  | { id: number; op: "hash"; password: string | Uint8Array; options: Options }
  | { id: number; op: "verify"; stored: string; password: string };
type Reply = { id: number; ok: true; value: string | boolean } | { id: number; ok: false; message: string };
/** The first message of a thread: its Linux thread ID and, when renicing failed, why. */
interface Started {
  started: true;
  tid?: number;
  problem?: string;
}

export interface HashingThreadsOptions {
  /** Threads, one hash each at a time: the HashingPool's concurrency, which already bounds the hashes. */
  size: number;
  /** Nice value each thread sets for itself (AUTH_HASH_NICE); 0 is the event loop's own when it runs unniced. */
  nice: number;
  logger?: Logger;
}

interface Pending {
  job: Job;
  resolve(value: string | boolean): void;
  reject(error: Error): void;
}

interface Slot {
  worker: Worker;
  tid?: number;
  current?: Pending;
}

/** A thread that dies before it starts is replaced after this pause, so a broken install cannot spin. */
const RESPAWN_AFTER_FAILED_START_MS = 1000;

/** Runs argon2id on `size` low-priority threads; a job waits for a free thread in arrival order. */
export class HashingThreads implements Argon2Runner {
  private readonly slots: Slot[] = [];
  private readonly backlog: Pending[] = [];
  private nextId = 1;
  private closed = false;
  private warnedPriority = false;
  private readonly options: HashingThreadsOptions;

  private constructor(options: HashingThreadsOptions) {
    this.options = options;
  }

  /** Starts the threads and resolves once each has reniced itself (or reported why it could not). */
  static async start(options: HashingThreadsOptions): Promise<HashingThreads> {
    if (!Number.isInteger(options.size) || options.size < 1)
      throw new Error(`hashing threads: size must be an integer ≥ 1, got ${options.size}`);
    const threads = new HashingThreads(options);
    try {
      await Promise.all(Array.from({ length: options.size }, (_, i) => threads.spawn(i)));
    } catch (error) {
      await threads.close();
      throw error;
    }
    return threads;
  }

  /** The Linux thread IDs of the running threads (undefined where /proc/thread-self is missing). */
  get threadIds(): Array<number | undefined> {
    return this.slots.map((slot) => slot.tid);
  }

  /** The Workers themselves, for diagnostics and the tests that stop one mid-hash. */
  get workers(): readonly Worker[] {
    return this.slots.map((slot) => slot.worker);
  }

  async hash(password: string | Uint8Array, options: Options): Promise<string> {
    return (await this.submit({ id: this.nextId++, op: "hash", password, options })) as string;
  }

  async verify(stored: string, password: string): Promise<boolean> {
    return (await this.submit({ id: this.nextId++, op: "verify", stored, password })) as boolean;
  }

  /** Ends every thread; jobs still waiting or running are rejected. */
  async close(): Promise<void> {
    this.closed = true;
    for (const pending of this.backlog.splice(0))
      pending.reject(new Error("password hashing threads closed"));
    await Promise.all(this.slots.map((slot) => slot.worker.terminate()));
  }

  private submit(job: Job): Promise<string | boolean> {
    if (this.closed) return Promise.reject(new Error("password hashing threads closed"));
    return new Promise((resolve, reject) => {
      this.backlog.push({ job, resolve, reject });
      this.dispatch();
    });
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (slot.current) continue;
      const next = this.backlog.shift();
      if (!next) return;
      slot.current = next;
      slot.worker.postMessage(next.job);
    }
  }

  private spawn(index: number): Promise<void> {
    const worker = new Worker(new URL(import.meta.url), {
      workerData: { role: ROLE, nice: this.options.nice },
      name: `gomeet-auth-hashing-${index}`,
    });
    const slot: Slot = { worker };
    this.slots[index] = slot;
    let started = false;
    return new Promise<void>((resolve, reject) => {
      worker.on("message", (message: Started | Reply) => {
        if ("started" in message) {
          started = true;
          slot.tid = message.tid;
          if (message.problem) this.warnPriority(message.problem);
          resolve();
          return;
        }
        const pending = slot.current;
        if (!pending || pending.job.id !== message.id) return;
        slot.current = undefined;
        if (message.ok) pending.resolve(message.value);
        else pending.reject(new Error(`argon2id failed: ${message.message}`));
        this.dispatch();
      });
      // An uncaught error in the thread is followed by "exit"; the job is settled there, once.
      worker.on("error", (error) => this.options.logger?.error("password hashing thread failed", { error }));
      worker.on("exit", (code) => {
        const lost = slot.current;
        slot.current = undefined;
        const reason = this.closed
          ? "password hashing threads closed"
          : `password hashing thread exited (code ${code}) during the hash`;
        lost?.reject(new Error(reason));
        if (!started) reject(new Error(`password hashing thread exited (code ${code}) before it started`));
        if (this.closed || this.slots[index] !== slot) return;
        this.options.logger?.warn("password hashing thread exited; starting another", { code });
        const respawn = () => {
          if (this.closed) return;
          this.spawn(index).then(
            () => this.dispatch(),
            () => undefined,
          );
        };
        if (started) respawn();
        else setTimeout(respawn, RESPAWN_AFTER_FAILED_START_MS).unref();
      });
    });
  }

  private warnPriority(problem: string): void {
    if (this.warnedPriority) return;
    this.warnedPriority = true;
    this.options.logger?.warn("could not lower the priority of the password hashing threads", {
      nice: this.options.nice,
      problem,
    });
  }
}

/**
 * Renices the calling thread. /proc/thread-self links to "<pid>/task/<tid>" (proc(5)); Node's os.setPriority
 * passes its pid argument to setpriority(PRIO_PROCESS, …), which on Linux takes a thread ID. Without /proc (not
 * Linux) nothing is changed: setpriority there would renice the whole process, event loop included.
 */
function lowerOwnPriority(nice: number): Omit<Started, "started"> {
  let tid: number | undefined;
  try {
    tid = Number(readlinkSync("/proc/thread-self").split("/").at(-1));
    if (!Number.isInteger(tid)) throw new Error("/proc/thread-self does not name a thread");
    setPriority(tid, nice);
    return { tid };
  } catch (error) {
    return { ...(tid === undefined ? {} : { tid }), problem: (error as Error).message };
  }
}

function runHashingThread(port: MessagePort, nice: number): void {
  port.on("message", (job: Job) => {
    let reply: Reply;
    try {
      if (job.op === "hash") reply = { id: job.id, ok: true, value: hashSync(job.password, job.options) };
      else {
        let value: boolean;
        try {
          value = verifySync(job.stored, job.password);
        } catch {
          // A stored hash argon2 cannot read matches no password (the Argon2Runner contract).
          value = false;
        }
        reply = { id: job.id, ok: true, value };
      }
    } catch (error) {
      reply = { id: job.id, ok: false, message: (error as Error).message };
    }
    port.postMessage(reply);
  });
  port.postMessage({ started: true, ...lowerOwnPriority(nice) } satisfies Started);
}

if (!isMainThread && parentPort && (workerData as { role?: unknown } | null)?.role === ROLE) {
  runHashingThread(parentPort, (workerData as { nice: number }).nice);
}
