// Token buckets: `burst` requests at once, then `ratePerSecond` on average. KeyedBuckets keeps
// one per key (client IP) in a bounded map, so a flood of distinct keys costs bounded memory.

export class TokenBucket {
  private tokens: number;
  private lastMs: number;

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    private readonly nowMs: () => number = performanceNowMs,
  ) {
    if (!(ratePerSecond > 0) || !(burst >= 1)) throw new RangeError('ratePerSecond must be > 0 and burst >= 1');
    this.tokens = burst;
    this.lastMs = nowMs();
  }

  /** Take one token if there is one. */
  tryTake(): boolean {
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Ms until a token is available (0 when one is). */
  waitMs(): number {
    this.refill();
    return this.tokens >= 1 ? 0 : Math.ceil(((1 - this.tokens) * 1000) / this.ratePerSecond);
  }

  /** True when the bucket is full again (the key can be forgotten without changing behaviour). */
  full(): boolean {
    this.refill();
    return this.tokens >= this.burst;
  }

  private refill(): void {
    const now = this.nowMs();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.lastMs) * this.ratePerSecond) / 1000);
    this.lastMs = now;
  }
}

export class KeyedBuckets<K> {
  private readonly buckets = new Map<K, TokenBucket>();

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    private readonly maxKeys: number = 100_000,
    private readonly nowMs: () => number = performanceNowMs,
  ) {}

  /** Take a token from `key`'s bucket; false when it is empty (the caller answers 429). */
  tryTake(key: K): boolean {
    let b = this.buckets.get(key);
    if (b === undefined) {
      if (this.buckets.size >= this.maxKeys) this.sweep();
      b = new TokenBucket(this.ratePerSecond, this.burst, this.nowMs);
      this.buckets.set(key, b);
    }
    return b.tryTake();
  }

  /** Ms until `key` may try again. */
  waitMs(key: K): number {
    return this.buckets.get(key)?.waitMs() ?? 0;
  }

  get size(): number {
    return this.buckets.size;
  }

  /** Drop refilled buckets (they behave like new ones); if none are, drop the oldest half. */
  private sweep(): void {
    for (const [k, b] of this.buckets) if (b.full()) this.buckets.delete(k);
    if (this.buckets.size < this.maxKeys) return;
    let drop = Math.ceil(this.buckets.size / 2);
    for (const k of this.buckets.keys()) {
      if (drop-- <= 0) break;
      this.buckets.delete(k);
    }
  }
}

function performanceNowMs(): number {
  return performance.now();
}
