/**
 * Group commit: items arriving within `windowMs` of each other (or up to `maxBatch` of them) are written by one
 * call of `commit`, at most `maxInFlight` calls at a time. Each caller's promise settles only after its batch's
 * call settles — with its own answer when the batch committed, with a BatchCommitError when it did not — so
 * nothing is answered before it is durable and a failed batch fails every item in it.
 */
export interface GroupCommitOptions {
  /** Most items in one batch. */
  maxBatch: number;
  /** How long the first item of a batch waits for company; 0 still gathers what arrives in the same tick. */
  windowMs: number;
  /** Batches committing at once; later items wait (and gather) until one finishes. */
  maxInFlight: number;
  /** Observes each committed or failed batch (metrics). */
  onBatch?: (size: number, seconds: number, ok: boolean) => void;
}

/** Every item of a batch whose transaction failed gets this error; none of them was stored. */
export class BatchCommitError extends Error {
  constructor(
    readonly size: number,
    override readonly cause: unknown,
  ) {
    super(
      `a batch of ${size} message${size === 1 ? "" : "s"} was not committed (${
        cause instanceof Error ? cause.message : String(cause)
      }): none of them is stored`,
    );
    this.name = "BatchCommitError";
  }
}

interface Waiting<I, O> {
  item: I;
  resolve: (outcome: O) => void;
  reject: (error: BatchCommitError) => void;
}

export class GroupCommitter<I, O> {
  private waiting: Waiting<I, O>[] = [];
  private inFlight = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly commit: (items: readonly I[]) => Promise<readonly O[]>,
    private readonly options: GroupCommitOptions,
  ) {
    for (const [name, min] of [
      ["maxBatch", 1],
      ["windowMs", 0],
      ["maxInFlight", 1],
    ] as const) {
      const value = options[name];
      if (!Number.isInteger(value) || value < min)
        throw new Error(`group commit: ${name} must be an integer ≥ ${min}, got ${value}`);
    }
  }

  /** Queues one item; settles after the transaction that holds it has committed or failed. */
  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      if (this.waiting.length >= this.options.maxBatch) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.options.windowMs);
    });
  }

  /** Items waiting for a batch plus batches in flight (a gauge for operations). */
  get backlog(): { waiting: number; inFlight: number } {
    return { waiting: this.waiting.length, inFlight: this.inFlight };
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    while (this.inFlight < this.options.maxInFlight && this.waiting.length > 0) {
      const batch = this.waiting.splice(0, this.options.maxBatch);
      this.inFlight++;
      void this.run(batch);
    }
  }

  private async run(batch: Waiting<I, O>[]): Promise<void> {
    const started = performance.now();
    try {
      const outcomes = await this.commit(batch.map((w) => w.item));
      if (outcomes.length !== batch.length)
        throw new Error(`commit answered ${outcomes.length} items for ${batch.length}`);
      this.options.onBatch?.(batch.length, (performance.now() - started) / 1000, true);
      batch.forEach((w, i) => {
        w.resolve(outcomes[i] as O);
      });
    } catch (error) {
      this.options.onBatch?.(batch.length, (performance.now() - started) / 1000, false);
      const failure = new BatchCommitError(batch.length, error);
      for (const w of batch) w.reject(failure);
    } finally {
      this.inFlight--;
      // What gathered during this transaction has waited at least as long as a window: it goes now.
      if (this.waiting.length > 0) this.flush();
    }
  }
}
