// Inbound frame budgets (token buckets), one per socket and one per client address shared by its
// sockets. A frame costs 1 token plus 1 per KiB: the work a frame triggers (id lists to
// subscribe, parse and echo) grows with its size, and a 100 KiB update_subscriptions swap costs
// ~25 ms where a heartbeat costs nothing. A socket or address that runs dry is closed (hub.ts).
export class TokenBucket {
  private tokens: number;
  private atMs: number;

  constructor(
    private readonly rate: number,
    private readonly burst: number,
    nowMs: number,
  ) {
    this.tokens = burst;
    this.atMs = nowMs;
  }

  /** Take `n` tokens; false (nothing taken) when the bucket holds fewer. */
  take(nowMs: number, n = 1): boolean {
    const elapsed = nowMs - this.atMs;
    if (elapsed > 0) {
      this.tokens = Math.min(this.burst, this.tokens + (elapsed * this.rate) / 1000);
      this.atMs = nowMs;
    }
    if (this.tokens < n) return false;
    this.tokens -= n;
    return true;
  }

  /** Refilled to its burst by now: forgetting it loses nothing. */
  full(nowMs: number): boolean {
    return this.tokens + ((nowMs - this.atMs) * this.rate) / 1000 >= this.burst;
  }
}

/** Tokens a frame of `bytes` costs. */
export function frameCost(bytes: number): number {
  return 1 + (bytes >>> 10);
}

interface AddressBudget {
  bucket: TokenBucket;
  sockets: number;
}

/** The per-address buckets; an entry outlives its sockets until refilled, so reconnecting buys no new burst. */
export class AddressBudgets {
  private readonly byAddress = new Map<string, AddressBudget>();

  constructor(
    private readonly rate: number,
    private readonly burst: number,
  ) {}

  open(address: string, nowMs: number): void {
    let b = this.byAddress.get(address);
    if (!b) {
      b = { bucket: new TokenBucket(this.rate, this.burst, nowMs), sockets: 0 };
      this.byAddress.set(address, b);
    }
    b.sockets++;
  }

  close(address: string): void {
    const b = this.byAddress.get(address);
    if (b) b.sockets--;
  }

  take(address: string, nowMs: number, n: number): boolean {
    const b = this.byAddress.get(address);
    return b === undefined || b.bucket.take(nowMs, n);
  }

  /** Drop addresses without sockets whose bucket has refilled. */
  prune(nowMs: number): void {
    for (const [address, b] of this.byAddress) if (b.sockets <= 0 && b.bucket.full(nowMs)) this.byAddress.delete(address);
  }
}
