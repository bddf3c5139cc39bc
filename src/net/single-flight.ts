// One call in flight per key: callers asking for the same key while it runs share its promise.
// This is what stops fifty requests for the same unknown id becoming fifty upstream calls.

export class SingleFlight<K, V> {
  private readonly running = new Map<K, Promise<V>>();
  /** Calls that joined a running one instead of starting their own. */
  joined = 0;

  run(key: K, fn: () => Promise<V>): Promise<V> {
    const current = this.running.get(key);
    if (current !== undefined) {
      this.joined++;
      return current;
    }
    const p = fn().finally(() => this.running.delete(key));
    this.running.set(key, p);
    return p;
  }

  /** True when `key` has a call running (a caller about to join it). */
  has(key: K): boolean {
    return this.running.has(key);
  }

  get size(): number {
    return this.running.size;
  }
}
