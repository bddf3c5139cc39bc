// The result sink's two waits: the back-off before retrying a store write that failed, and the
// latch the feed waits on while the sink is paused.

const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 30_000;

/** The store retry timer with exponential back-off. */
export class Backoff {
  private timer: NodeJS.Timeout | undefined;
  private delay = RETRY_MIN_MS;

  /** The delay the next arm() waits. */
  get delayMs(): number {
    return this.delay;
  }

  get armed(): boolean {
    return this.timer !== undefined;
  }

  arm(fn: () => void): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      fn();
    }, this.delay);
    this.timer.unref();
    this.delay = Math.min(RETRY_MAX_MS, this.delay * 2);
  }

  /** A write succeeded: the next failure starts from the shortest delay again. */
  reset(): void {
    this.delay = RETRY_MIN_MS;
  }

  clear(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}

/** What the feed awaits while the sink is paused; opened when the backlog has drained. */
export class FeedLatch {
  private waiting: { promise: Promise<void>; open: () => void } | undefined;

  close(): void {
    let open = (): void => {};
    const promise = new Promise<void>((r) => (open = r));
    this.waiting = { promise, open };
  }

  open(): void {
    this.waiting?.open();
    this.waiting = undefined;
  }

  wait(): Promise<void> | undefined {
    return this.waiting?.promise;
  }
}
