// ESI's two rate-limit schemes: the legacy error limit
// (non-2xx/3xx responses per fixed window, then 420 everywhere) and the floating-window token
// bucket of route groups such as `killmail` (costs per status class, 429 + Retry-After).

export class ErrorLimiter {
  private windowStartMs = 0;
  private errors = 0;

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  private roll(nowMs: number): void {
    if (nowMs - this.windowStartMs >= this.windowMs) {
      this.windowStartMs = nowMs;
      this.errors = 0;
    }
  }

  exhausted(nowMs: number): boolean {
    this.roll(nowMs);
    return this.errors >= this.limit;
  }

  /** Counts an answered status; only 4xx/5xx spend the budget. */
  record(status: number, nowMs: number): void {
    this.roll(nowMs);
    if (status >= 400) this.errors++;
  }

  headers(nowMs: number): Record<string, string> {
    this.roll(nowMs);
    return {
      'x-esi-error-limit-remain': String(Math.max(0, this.limit - this.errors)),
      'x-esi-error-limit-reset': String(this.resetSeconds(nowMs)),
    };
  }

  resetSeconds(nowMs: number): number {
    return Math.max(1, Math.ceil((this.windowStartMs + this.windowMs - nowMs) / 1000));
  }
}

/** Token cost of an answered status: 2xx 2, 3xx 1, 4xx 5, 5xx 0 (429 itself is free). */
export function tokenCost(status: number): number {
  if (status === 429) return 0;
  if (status < 300) return 2;
  if (status < 400) return 1;
  if (status < 500) return 5;
  return 0;
}

/**
 * Floating window kept as one slot per second: `used` is the sum of the slots younger than the
 * window. Expiry walks forward only over seconds that passed, so each call is O(1) amortised.
 */
export class TokenBucket {
  private readonly slots: Float64Array;
  private used = 0;
  private lastSec = 0;

  constructor(
    readonly group: string,
    readonly maxTokens: number,
    readonly windowSeconds: number,
  ) {
    this.slots = new Float64Array(windowSeconds);
  }

  private advance(nowSec: number): void {
    if (this.lastSec === 0) this.lastSec = nowSec;
    const steps = Math.min(nowSec - this.lastSec, this.windowSeconds);
    for (let i = 1; i <= steps; i++) {
      const idx = (this.lastSec + i) % this.windowSeconds;
      this.used -= this.slots[idx] ?? 0;
      this.slots[idx] = 0;
    }
    if (nowSec > this.lastSec) this.lastSec = nowSec;
  }

  remaining(nowMs: number): number {
    this.advance(Math.floor(nowMs / 1000));
    return Math.max(0, this.maxTokens - this.used);
  }

  spend(cost: number, nowMs: number): void {
    const sec = Math.floor(nowMs / 1000);
    this.advance(sec);
    const idx = sec % this.windowSeconds;
    this.slots[idx] = (this.slots[idx] ?? 0) + cost;
    this.used += cost;
  }

  /** Seconds until the oldest spends expire far enough for one more request. */
  retryAfterSeconds(nowMs: number): number {
    const nowSec = Math.floor(nowMs / 1000);
    this.advance(nowSec);
    let freed = 0;
    for (let age = this.windowSeconds - 1; age >= 0; age--) {
      freed += this.slots[(nowSec - age + this.windowSeconds * 2) % this.windowSeconds] ?? 0;
      if (this.used - freed < this.maxTokens) return this.windowSeconds - age;
    }
    return this.windowSeconds;
  }

  headers(nowMs: number): Record<string, string> {
    const remaining = this.remaining(nowMs);
    const windowLabel = this.windowSeconds % 60 === 0 ? `${this.windowSeconds / 60}m` : `${this.windowSeconds}s`;
    return {
      'x-ratelimit-group': this.group,
      'x-ratelimit-limit': `${this.maxTokens}/${windowLabel}`,
      'x-ratelimit-remaining': String(remaining),
      'x-ratelimit-used': String(this.maxTokens - remaining),
    };
  }
}
