// Live gap repair: when the R2Z2 reader finds its next sequence gone from the ephemeral window
// (a long outage, a stopped server), the kills of that stretch are fetched from zKillboard's day
// files by the serving process itself: the days from the newest stored kill (less an hour of
// slack for late kills) to now, through a BackfillFeed into the same sink as live entries.
//
// Live ingest keeps priority: the repair pushes at most `rate` entries per second and only a
// few id → hash ESI fetches at a time, and waits like the live feed when the rings are full.
// The pending repair is saved in the cursor table, so a restart finishes it; a day file not yet
// published (zKillboard writes a day once it is over) is tried again every retryMissingMs.
import type { BackfillProgressStore, ComponentHealth } from '../core/ports.js';
import type { CursorUpdate, FeedDeps, FeedHandle } from './common.js';
import { Tally } from './common.js';
import { BackfillFeed } from './backfill.js';
import { daysBetween, historyDayUnit } from './backfill-source.js';
import { delay } from '../net/index.js';

/** Repair entries are numbered from here, far above any R2Z2 sequence, so acks find their feed. */
export const GAP_REPAIR_SEQ_BASE = 2 ** 50;
export const GAP_REPAIR_CURSOR = 'r2z2.gap_repair';
const SLACK_MS = 3_600_000;
const DAY_MS = 86_400_000;

export interface GapRepairOptions extends FeedDeps {
  baseUrl: string;
  userAgent: string;
  cutoffSeconds: number;
  maxEntryBytes: number;
  progress: BackfillProgressStore;
  /** Kill time of the newest stored kill (epoch ms), undefined for an empty store. */
  newestKillTimeMs(): number | undefined;
  /** Most entries per second the repair pushes. */
  rate: number;
  /** id → hash ESI fetches in the pipeline at once. */
  fetchConcurrency: number;
  /** Wait before reading a day file again that was not published yet (default 10 min). */
  retryMissingMs?: number;
  /** Give up a range after this many passes (default 60: ten hours at the default wait). */
  maxPasses?: number;
}

interface Range {
  fromMs: number;
  toMs: number;
  job: string;
}

export class GapRepair {
  private readonly tally: Tally;
  private readonly abort = new AbortController();
  private current: BackfillFeed | undefined;
  private queue: Range[] = [];
  private loop: Promise<void> | undefined;
  private nextSeq = GAP_REPAIR_SEQ_BASE;

  constructor(private readonly o: GapRepairOptions) {
    this.tally = new Tally('feed.gap_repair', o.counters);
  }

  /** The R2Z2 reader skipped sequences that are no longer published. */
  onGap(gap: { fromSeq: number; toSeq: number }): void {
    const now = Date.now();
    const newest = this.o.newestKillTimeMs();
    const fromMs = (newest ?? now - DAY_MS) - SLACK_MS;
    this.tally.inc('gaps');
    this.o.logger.warn({ ...gap, from: new Date(fromMs).toISOString() }, 'r2z2 gap: repairing it from /history');
    this.enqueue({ fromMs, toMs: now, job: `gap:${this.o.baseUrl}:${gap.fromSeq}` });
  }

  start(): void {
    const saved = this.o.cursors.getCursor(GAP_REPAIR_CURSOR);
    if (saved === undefined) return;
    try {
      for (const r of JSON.parse(saved) as Range[]) this.enqueue(r);
      this.tally.inc('resumed');
    } catch (err) {
      this.o.logger.warn({ err, saved }, 'saved gap repair unreadable; dropped');
    }
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.current?.stop();
    await this.loop;
  }

  ack(seq: number): void {
    this.current?.ack(seq);
  }

  private enqueue(r: Range): void {
    this.queue.push(r);
    this.save();
    this.loop ??= this.run().finally(() => (this.loop = undefined));
  }

  private save(): void {
    try {
      this.o.cursors.setCursor(GAP_REPAIR_CURSOR, JSON.stringify(this.queue));
    } catch (err) {
      this.o.logger.warn({ err }, 'gap repair state not saved');
    }
  }

  private async run(): Promise<void> {
    while (this.queue.length > 0 && !this.abort.signal.aborted) {
      const range = this.queue[0] as Range;
      await this.repair(range);
      if (this.abort.signal.aborted) return;
      this.queue.shift();
      this.save();
    }
  }

  /** Passes over the range's days until every day file was read (or maxPasses). */
  private async repair(range: Range): Promise<void> {
    const http = { baseUrl: this.o.baseUrl, userAgent: this.o.userAgent };
    const units = daysBetween(range.fromMs, range.toMs).map((d) => historyDayUnit(d, http));
    const passes = this.o.maxPasses ?? 60;
    for (let pass = 1; pass <= passes && !this.abort.signal.aborted; pass++) {
      const feed = new BackfillFeed({
        job: range.job,
        units,
        progress: this.o.progress,
        sink: this.o.sink,
        logger: this.o.logger,
        counters: this.o.counters,
        cutoffSeconds: this.o.cutoffSeconds,
        maxEntryBytes: this.o.maxEntryBytes,
        name: 'gap_repair',
        maxRate: this.o.rate,
        fetchConcurrency: this.o.fetchConcurrency,
        seqBase: this.nextSeq,
        checkKnown: true,
      });
      this.current = feed;
      await feed.start();
      const result = await feed.done();
      this.nextSeq = feed.nextSequence + 1;
      if (result.errors.length === 0) {
        this.tally.inc('repaired');
        return;
      }
      this.tally.inc('passes_incomplete');
      this.o.logger.info({ errors: result.errors, pass }, 'gap repair: some days not read yet; trying again later');
      await delay(this.o.retryMissingMs ?? 600_000, this.abort.signal);
    }
    if (!this.abort.signal.aborted) this.tally.inc('gave_up');
  }

  stats(): Record<string, number | string | boolean | null> {
    const out: Record<string, number | string | boolean | null> = { gap_repair_queued: this.queue.length };
    for (const [k, v] of this.tally.entries()) out[`gap_repair_${k}`] = v;
    const cur = this.current?.stats();
    if (cur)
      for (const k of ['state', 'unit', 'pushed', 'pushed_fetch', 'known', 'units_done', 'units_missing'])
        out[`gap_repair_${k}`] = cur[k] ?? 0;
    return out;
  }
}

/** The R2Z2 feed plus its repair, as one feed: acks are routed by sequence range. */
export function withGapRepair(feed: FeedHandle, repair: GapRepair): FeedHandle {
  return {
    name: feed.name,
    async start() {
      repair.start();
      await feed.start();
    },
    async stop() {
      await repair.stop();
      await feed.stop();
    },
    ack: (seq) => (seq >= GAP_REPAIR_SEQ_BASE ? repair.ack(seq) : feed.ack(seq)),
    // A malformed entry of the live feed is fetched again by the feed itself (ingest/fetch-retry.ts).
    ...(feed.refetch && { refetch: feed.refetch.bind(feed) }),
    pendingCursor: (): CursorUpdate | undefined => feed.pendingCursor(),
    health: (): ComponentHealth => feed.health(),
    stats: () => ({ ...feed.stats(), ...repair.stats() }),
  };
}
