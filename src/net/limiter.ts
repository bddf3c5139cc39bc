// Concurrency limit with a bounded queue: at most `maxInFlight` run, at most `maxWaiting` wait,
// the rest are refused at once (the caller answers "busy"), so a burst cannot build a queue that
// outlives its clients. release() hands its slot straight to the next waiter: freeing it and
// letting the waiter take it later would let an acquire() that runs first take it as well.
// The zKB lookups and the ESI gate's per-route caps both use it.

export class ConcurrencyLimiter {
  private inFlight = 0;
  private readonly waiting: (() => void)[] = [];
  refused = 0;

  constructor(
    private readonly maxInFlight: number,
    private readonly maxWaiting: number,
  ) {
    if (!Number.isInteger(maxInFlight) || maxInFlight < 1) throw new RangeError('maxInFlight must be an integer >= 1');
  }

  /** Resolves true with a slot (release() it), or false at once when the queue is full. */
  acquire(): Promise<boolean> | boolean {
    if (this.inFlight < this.maxInFlight) {
      this.inFlight++;
      return true;
    }
    if (this.waiting.length >= this.maxWaiting) {
      this.refused++;
      return false;
    }
    return new Promise<boolean>((resolve) => this.waiting.push(() => resolve(true))); // handed over in release()
  }

  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.inFlight--;
  }

  /** Give every waiter a slot now, past the cap (shutdown: they finish at once and release it). */
  wakeAll(): void {
    const woken = this.waiting.splice(0);
    this.inFlight += woken.length;
    for (const w of woken) w();
  }

  /** Run `fn` in a slot; undefined when refused. */
  async run<T>(fn: () => Promise<T>): Promise<{ value: T } | undefined> {
    if (!(await this.acquire())) return undefined;
    try {
      return { value: await fn() };
    } finally {
      this.release();
    }
  }

  stats(): { inFlight: number; waiting: number; refused: number } {
    return { inFlight: this.inFlight, waiting: this.waiting.length, refused: this.refused };
  }
}
