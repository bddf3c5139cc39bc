// A per-socket event budget (token bucket): `rate` frames per second on average, `burst` at once.
// Every inbound frame costs one token; a socket that runs dry is closed (hub.ts), so one client
// cannot keep the event loop busy with cheap frames that each trigger work.
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
}
