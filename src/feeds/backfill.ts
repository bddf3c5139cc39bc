// History through the live path: a feed that reads units (local files, zKillboard day files)
// and pushes one entry per kill into the same sink as R2Z2, so the same rings, workers,
// enrichment, store and dedupe apply. Used by `wkills backfill` and by the live gap repair.
//
// Progress: entries get consecutive sequence numbers; the ack watermark (watermark.ts) says how
// many entries of the current unit are committed, persisted per (job, unit) at most every
// PERSIST_EVERY_MS, and a unit is marked done once the watermark passes its last entry. The next
// unit is read while the previous one's last entries are still in the pipeline (a drain per unit
// idled the workers ~0.2 s per day file). A restart skips finished units and the committed
// prefix of the open one; the rest is deduped by the store (`skipped`), so no kill is stored twice.
import type { BackfillProgressStore } from '../core/ports.js';
import { epochUs } from '../core/clock.js';
import { ageMs, cutoffAt, pushEntry, Tally, type CursorUpdate, type FeedDeps, type FeedHandle } from './common.js';
import { JsonItemScanner, type ScannedItem } from './backfill-scan.js';
import { UnitUnavailable, type BackfillUnit, type EntryKind } from './backfill-source.js';
import { Backoff, createRateLimiter, delay, type RateLimiter } from '../net/index.js';
import { SequenceWatermark } from './watermark.js';

const PERSIST_EVERY_MS = 500;

export interface BackfillOptions extends Omit<FeedDeps, 'cursors'> {
  /** Progress key of the whole run (e.g. `history:<url>`, `file:<path>`). */
  job: string;
  units: readonly BackfillUnit[];
  progress: BackfillProgressStore;
  cutoffSeconds: number;
  maxEntryBytes: number;
  /** Counter prefix and stats name: `backfill` or `gap_repair`. */
  name?: string;
  /** Most entries pushed per second; 0 = as fast as the pipeline takes them. */
  maxRate?: number;
  /** id → hash entries (each an ESI call in a worker) in the pipeline at once. */
  fetchConcurrency?: number;
  /** Skip stored ids of keyed mail files before the pipeline too (gap repair: saves its rate budget). */
  checkKnown?: boolean;
  /** First sequence number (gap repair uses a range apart from R2Z2's). */
  seqBase?: number;
  /** Attempts per unit on network/HTTP errors before it is reported failed. */
  maxAttempts?: number;
  errorBackoffMs?: number;
  maxErrorBackoffMs?: number;
}

export interface UnitError {
  unit: string;
  message: string;
}

export interface BackfillResult {
  unitsDone: number;
  unitsSkipped: number;
  errors: UnitError[];
}

type State = 'new' | 'running' | 'draining' | 'backoff' | 'finished' | 'stopped' | 'crashed';

export class BackfillFeed implements FeedHandle {
  readonly name: string;
  private readonly tally: Tally;
  private readonly mark: SequenceWatermark;
  private readonly limiter: RateLimiter | undefined;
  private readonly abort = new AbortController();
  private state: State = 'new';
  private nextSeq: number;
  private unitBase = 0;
  private unit = '';
  private unitOpen = false;
  /** Entries of the current unit read so far (pushed, known or skipped). */
  private readUpTo = 0;
  private lastPersistMs = 0;
  private loop: Promise<BackfillResult> | undefined;
  private waiters: (() => void)[] = [];
  private lastEntryAtMs: number | undefined;
  /** When the first entry was read: the report's kills/s counts from here, not from process start. */
  private firstEntryAtMs: number | undefined;
  /** Source bytes of finished units, and the open unit's reader. */
  private bytesDone = 0;
  private bytesRead: (() => number) | undefined;
  readonly result: BackfillResult = { unitsDone: 0, unitsSkipped: 0, errors: [] };
  /** Units read to the end whose last entries are not all acknowledged yet, in read order. */
  private finishing: { name: string; base: number; lastSeq: number; entries: number; bytes: number }[] = [];

  constructor(private readonly o: BackfillOptions) {
    this.name = o.name ?? 'backfill';
    this.tally = new Tally(`feed.${this.name}`, o.counters);
    this.nextSeq = o.seqBase ?? 1;
    const noCursor = { getCursor: () => undefined, setCursor: () => undefined };
    this.mark = new SequenceWatermark(this.name, noCursor, 'external', () => undefined);
    this.limiter = o.maxRate !== undefined && o.maxRate > 0 ? createRateLimiter(o.maxRate) : undefined;
  }

  /** The sequence number the next entry would get (a following feed starts after it). */
  get nextSequence(): number {
    return this.nextSeq;
  }

  async start(): Promise<void> {
    this.loop ??= this.run().catch((err: unknown) => {
      this.tally.inc('crash');
      this.o.logger.error({ err }, `${this.name} crashed`);
      this.state = 'crashed';
      this.result.errors.push({ unit: this.unit, message: (err as Error).message });
      return this.result;
    });
  }

  /** Resolves when every unit was read and its entries acknowledged (or the feed stopped). */
  done(): Promise<BackfillResult> {
    return this.loop ?? Promise.resolve(this.result);
  }

  async stop(): Promise<void> {
    this.abort.abort();
    this.wake();
    await this.loop;
    if (this.state !== 'finished' && this.state !== 'crashed') this.state = 'stopped';
    this.settleFinished();
    // A read unit still in the pipeline keeps its committed prefix, like the open unit does.
    for (const f of this.finishing) {
      const position = Math.min(f.entries, this.mark.value - f.base + 1);
      if (position > 0) this.saveProgress(f.name, position, false);
    }
    this.persist();
  }

  ack(seq: number): void {
    if (!this.mark.acked(seq, this.nextSeq)) {
      this.tally.inc('ack_unknown');
      return;
    }
    this.tally.inc('acked');
    if (this.finishing.length > 0) this.settleFinished();
    if (Date.now() - this.lastPersistMs >= PERSIST_EVERY_MS) this.persist();
    this.wake();
  }

  pendingCursor(): CursorUpdate | undefined {
    return undefined; // progress is kept per unit in the backfill_progress table instead
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private until(check: () => boolean): Promise<void> {
    if (check() || this.abort.signal.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const again = (): void => (check() || this.abort.signal.aborted ? resolve() : void this.waiters.push(again));
      this.waiters.push(again);
    });
  }

  private async run(): Promise<BackfillResult> {
    this.state = 'running';
    for (const unit of this.o.units) {
      if (this.abort.signal.aborted) break;
      const saved = this.o.progress.get(this.o.job, unit.name);
      if (saved?.done) {
        this.result.unitsSkipped++;
        this.tally.inc('units_skipped');
        continue;
      }
      await this.runUnit(unit, saved?.position ?? 0);
    }
    await this.drain();
    if (!this.abort.signal.aborted) this.state = 'finished';
    return this.result;
  }

  /** One unit: read (retrying transient failures from where it got to), then wait for its acks. */
  private async runUnit(unit: BackfillUnit, position: number): Promise<void> {
    // Resuming inside a unit skips its committed prefix: the watermark jumps over it, which is
    // only right once nothing earlier is pending. A unit read from its start just continues the
    // sequence, overlapping the previous unit's tail.
    if (position > 0 || this.mark.pendingCount === 0) {
      await this.drain();
      this.mark.restore(this.nextSeq + position - 1);
    }
    this.unit = unit.name;
    this.unitOpen = true;
    this.unitBase = this.nextSeq;
    this.readUpTo = position;
    const backoff = new Backoff({
      firstMs: this.o.errorBackoffMs ?? 1000,
      factor: 2,
      maxMs: this.o.maxErrorBackoffMs ?? 60_000,
      jitter: 0,
      maxAttempts: Infinity,
    });
    const attempts = this.o.maxAttempts ?? 8;
    for (let attempt = 1; ; attempt++) {
      try {
        // A retry starts after what the failed attempt already pushed (the same bytes, in order).
        await this.readUnit(unit, this.readUpTo);
        break;
      } catch (err) {
        if (this.abort.signal.aborted) return;
        // A local file reads the same way twice: a bad one is reported, not retried. A remote one
        // cut mid-body (a proxy, a reset) is fetched again and read on from where it stopped.
        const fatal = unit.remote !== true;
        const message = (err as Error).message;
        if (fatal || attempt >= attempts || (err instanceof UnitUnavailable && err.reason === 'missing')) {
          this.tally.inc(err instanceof UnitUnavailable && err.reason === 'missing' ? 'units_missing' : 'units_failed');
          this.result.errors.push({ unit: unit.name, message });
          await this.drain();
          return;
        }
        const waitMs = err instanceof UnitUnavailable && err.retryAfterMs !== undefined ? err.retryAfterMs : backoff.next();
        this.tally.inc('unit_retries');
        this.o.logger.warn({ unit: unit.name, attempt, waitMs, err: message }, `${this.name}: unit failed, retrying`);
        this.state = 'backoff';
        await delay(waitMs, this.abort.signal);
        this.state = 'running';
      }
    }
    if (this.abort.signal.aborted) return;
    this.unitOpen = false; // a later persist() must not turn `done` back into a position
    this.bytesRead = undefined;
    this.finishing.push({ name: unit.name, base: this.unitBase, lastSeq: this.nextSeq - 1, entries: this.readUpTo, bytes: unit.size ?? 0 });
    this.settleFinished();
  }

  /** Marks done every read unit whose entries are all acknowledged (the watermark passed its last). */
  private settleFinished(): void {
    while (this.finishing.length > 0) {
      const f = this.finishing[0] as (typeof this.finishing)[number];
      if (this.mark.value < f.lastSeq) return;
      this.finishing.shift();
      this.bytesDone += f.bytes;
      this.saveProgress(f.name, f.entries, true);
      this.result.unitsDone++;
      this.tally.inc('units_done');
    }
  }

  private async drain(): Promise<void> {
    this.state = 'draining';
    await this.until(() => this.mark.pendingCount === 0);
    this.settleFinished();
    this.persist();
    this.state = 'running';
  }

  /** Reads the unit, pushing entries from index `from` on. */
  private async readUnit(unit: BackfillUnit, from: number): Promise<void> {
    const opened = await unit.open(this.abort.signal);
    this.bytesRead = opened.bytesRead;
    const scanner = new JsonItemScanner(this.o.maxEntryBytes);
    let index = 0;
    const take = async (items: Iterable<ScannedItem>): Promise<boolean> => {
      for (const item of items) {
        if (index++ < from) continue;
        // offer() answers synchronously in the common case: no promise and no microtask per kill.
        const offered = this.offer(item, opened.kind, this.unitBase + index - 1);
        if (!(offered === true || (offered !== false && (await offered)))) return false;
        this.readUpTo = index;
      }
      return true;
    };
    for await (const chunk of opened.chunks) {
      this.tally.inc('bytes', chunk.length);
      if (!(await take(scanner.push(chunk)))) return;
    }
    await take(scanner.end());
  }

  /**
   * One entry: skipped when known or too large, else pushed. False when the feed stopped. The
   * watermark may pass `seq` only once it was skipped or pushed: an entry the stop caught before
   * its push must be read again after a restart, so nextSeq moves only then. Synchronous unless
   * it must wait (an ESI fetch slot, the rate limit, a full ring).
   */
  private offer(item: ScannedItem, kind: EntryKind, seq: number): boolean | Promise<boolean> {
    this.tally.inc('entries');
    this.firstEntryAtMs ??= Date.now();
    if (item.tooLarge) {
      this.tally.inc('too_large');
      this.nextSeq = seq + 1;
      this.mark.advance(this.nextSeq);
      return true;
    }
    // By default checked only where it saves an ESI call: for full mails the store's own dedupe
    // is cheaper than a lookup per entry (a profile of a raw day put it at 5 % of the main thread).
    if (item.key !== undefined && (kind === 'hash' || this.o.checkKnown === true) && this.o.progress.hasKill(Number(item.key))) {
      this.tally.inc('known'); // already stored: no pipeline work, no ESI call
      this.nextSeq = seq + 1;
      this.mark.advance(this.nextSeq);
      return true;
    }
    if (kind === 'hash' || this.limiter) return this.offerAfterWaits(item, kind, seq);
    if (this.abort.signal.aborted) return false;
    return this.push(item.body, kind, seq);
  }

  private async offerAfterWaits(item: ScannedItem, kind: EntryKind, seq: number): Promise<boolean> {
    const signal = this.abort.signal;
    if (kind === 'hash') {
      const cap = this.o.fetchConcurrency ?? 8;
      await this.until(() => this.mark.pendingCount < cap);
    }
    if (this.limiter && !(await this.limiter.take(signal))) return false;
    if (signal.aborted) return false;
    const body =
      kind === 'hash'
        ? Buffer.from(`{"killmail_id":${item.key ?? '0'},"zkb":{"hash":${Buffer.from(item.body).toString('latin1')}}}`)
        : item.body;
    return this.push(body, kind, seq);
  }

  private push(body: Uint8Array, kind: EntryKind, seq: number): boolean | Promise<boolean> {
    this.mark.pushed(seq);
    const entry = { source: 'backfill' as const, seq, body, receivedAtUs: epochUs(), cutoffMs: cutoffAt(this.o.cutoffSeconds) };
    const pushed = pushEntry(this.o.sink, entry, this.abort.signal, () => this.tally.inc('backpressure_waits'));
    if (pushed === true) return this.pushed(kind, seq);
    return pushed.then((ok) => {
      if (ok) return this.pushed(kind, seq);
      this.mark.withdrawn(seq);
      return false;
    });
  }

  private pushed(kind: EntryKind, seq: number): true {
    this.nextSeq = seq + 1;
    this.tally.inc(kind === 'hash' ? 'pushed_fetch' : 'pushed');
    this.lastEntryAtMs = Date.now();
    return true;
  }

  private persist(): void {
    const position = this.mark.value - this.unitBase + 1;
    if (!this.unitOpen || position < 0) return;
    if (this.saveProgress(this.unit, position, false)) this.lastPersistMs = Date.now();
  }

  private saveProgress(unit: string, position: number, done: boolean): boolean {
    try {
      this.o.progress.set(this.o.job, unit, position, done);
      return true;
    } catch (err) {
      this.tally.inc('progress_write_errors'); // a lost write only means re-reading (and skipping) more
      this.o.logger.warn({ err }, `${this.name}: progress not saved`);
      return false;
    }
  }

  health() {
    const healthy = this.state !== 'crashed';
    return { healthy, message: `${this.name} ${this.state}${this.unit ? ` at ${this.unit}` : ''}` };
  }

  stats(): Record<string, number | string | boolean | null> {
    const out: Record<string, number | string | boolean | null> = {
      source: this.name,
      state: this.state,
      unit: this.unit,
      pending: this.mark.pendingCount,
      units_total: this.o.units.length,
      lastEntryAgeMs: ageMs(this.lastEntryAtMs),
      first_entry_at_ms: this.firstEntryAtMs ?? null,
      source_bytes_read: this.bytesDone + (this.bytesRead?.() ?? 0),
    };
    for (const [k, v] of this.tally.entries()) out[k] = v;
    return out;
  }
}

export function createBackfillFeed(opts: BackfillOptions): BackfillFeed {
  return new BackfillFeed(opts);
}
