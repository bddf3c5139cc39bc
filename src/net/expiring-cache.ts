// A bounded map whose entries expire: the negative cache of upstream misses. Oldest-inserted
// entries go first when full (a Map keeps insertion order, so eviction is O(1) and there is no
// timer per entry); an expired entry is dropped when read.

export class ExpiringCache<K, V> {
  private readonly entries = new Map<K, { value: V; expiresAtMs: number }>();
  evicted = 0;

  constructor(
    private readonly maxEntries: number,
    private readonly nowMs: () => number = Date.now,
  ) {
    if (!Number.isInteger(maxEntries) || maxEntries < 0) throw new RangeError('maxEntries must be an integer >= 0');
  }

  get(key: K): V | undefined {
    const e = this.entries.get(key);
    if (e === undefined) return undefined;
    if (e.expiresAtMs <= this.nowMs()) {
      this.entries.delete(key);
      return undefined;
    }
    return e.value;
  }

  /** Keep `value` for `ttlMs` (nothing is kept for ttlMs <= 0 or a zero-size cache). */
  set(key: K, value: V, ttlMs: number): void {
    if (ttlMs <= 0 || this.maxEntries === 0) return;
    this.entries.delete(key); // re-inserted at the young end
    while (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done === true) break;
      this.entries.delete(oldest.value);
      this.evicted++;
    }
    this.entries.set(key, { value, expiresAtMs: this.nowMs() + ttlMs });
  }

  get size(): number {
    return this.entries.size;
  }
}
