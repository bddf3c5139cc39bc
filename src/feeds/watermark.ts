// The acknowledged-sequence watermark of a sequential feed and its persisted cursor.
//
// The pipeline acks terminal outcomes (stored, skipped, older, failed) possibly out of order.
// The watermark is the highest sequence such that every pushed sequence <= it is acked, so a
// restart at watermark + 1 loses nothing; what it re-fetches is deduped downstream (`skipped`).
import type { CursorStore } from '../core/ports.js';
import type { CursorUpdate } from './common.js';

export type CursorMode = 'direct' | 'external';

export class SequenceWatermark {
  /** Pushed, not yet acked. */
  private readonly pending = new Set<number>();
  /**
   * The pushed sequences in push order (ascending), from `head` on; acked ones are skipped lazily.
   * The first pending sequence is found in amortised O(1): a Set's first value is not — V8 walks
   * past deleted slots until it rehashes, O(backlog) per ack after a store outage.
   */
  private order: number[] = [];
  private head = 0;
  private mark = -1;
  private persisted: number | undefined;

  constructor(
    private readonly name: string,
    private readonly cursors: CursorStore,
    private readonly mode: CursorMode,
    private readonly onWriteError: (err: unknown) => void,
  ) {}

  /** The watermark restored from the store; it is already persisted. */
  restore(value: number): void {
    this.mark = value;
    this.persisted = value;
  }

  /**
   * A fresh start at the tip: `value` (the sequence before it) is written now, in either mode,
   * before anything is fetched. Otherwise a crash before the first stored batch leaves no cursor,
   * and the next start begins at a newer tip, skipping every kill published in between.
   */
  startAt(value: number): void {
    this.mark = value;
    try {
      this.cursors.setCursor(this.name, String(value));
      this.persisted = value;
    } catch (err) {
      this.onWriteError(err); // as before the fix: the first stored batch writes it
    }
  }

  /**
   * Jump back to `value` (the stored cursor was ahead of the feed, e.g. after an upstream reset):
   * nothing is pending at that point, and the new position is persisted like any move.
   */
  rewind(value: number): void {
    this.pending.clear();
    this.order = [];
    this.head = 0;
    this.mark = value;
    if (this.mode === 'direct') this.flush();
  }

  get value(): number {
    return this.mark;
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  pushed(seq: number): void {
    this.pending.add(seq);
    this.order.push(seq);
  }

  /** An entry that was never handed over (the feed stopped while the sink was full). */
  withdrawn(seq: number): void {
    this.pending.delete(seq);
  }

  /** Returns false for a seq that is not pending (duplicate or unknown ack). */
  acked(seq: number, nextSeq: number): boolean {
    if (!this.pending.delete(seq)) return false;
    this.advance(nextSeq);
    return true;
  }

  /**
   * Recompute after an ack or a skip. `nextSeq` is the sequence the feed fetches next: every
   * sequence below it was pushed (then pending or acked) or deliberately skipped (a gap).
   */
  advance(nextSeq: number): void {
    while (this.head < this.order.length && !this.pending.has(this.order[this.head] as number)) this.head++;
    if (this.head > 1024 && this.head * 2 > this.order.length) {
      this.order = this.order.slice(this.head);
      this.head = 0;
    }
    const first = this.order[this.head];
    const w = first === undefined ? nextSeq - 1 : first - 1;
    if (w <= this.mark) return;
    this.mark = w;
    if (this.mode === 'direct') this.flush();
  }

  /** 'external' mode: the moved cursor, once; the caller persists it. */
  take(): CursorUpdate | undefined {
    if (this.mode !== 'external' || this.mark < 0 || this.mark === this.persisted) return undefined;
    this.persisted = this.mark;
    return { name: this.name, value: String(this.mark) };
  }

  /** 'direct' mode: write the watermark if it moved (one cheap UPSERT). */
  flush(): void {
    if (this.mode !== 'direct' || this.mark < 0 || this.mark === this.persisted) return;
    try {
      this.cursors.setCursor(this.name, String(this.mark));
      this.persisted = this.mark;
    } catch (err) {
      // The next move retries the write; a lost write only means more `skipped` re-fetches.
      this.onWriteError(err);
    }
  }
}
