// Main-thread bookkeeping of what workers hand back. OutcomeReporter: counters per stage and
// reason, sampled failure logs (bad input is data: counted always, logged once per reason per
// interval), then the listeners. SidebandSink: the enricher output riding on task replies.
import type { FailReason, PipelineOutcome } from '../core/ports.js';
import type { Counters, Logger } from '../telemetry/index.js';
import type { CacheWrite } from '../core/cache-rows.js';
import type { Sideband } from './types.js';

// Failures are counted every time but logged once per reason per 10 s: a flood of bad entries must not flood the log.
const FAILURE_LOG_INTERVAL_MS = 10_000;

export type OutcomeListener = (outcomes: PipelineOutcome[]) => void;

export class OutcomeReporter {
  private readonly listeners: OutcomeListener[] = [];
  private readonly lastFailureLogMs = new Map<FailReason, number>();

  constructor(
    private readonly counters: Counters,
    private readonly logger: Logger,
  ) {}

  listen(cb: OutcomeListener): void {
    this.listeners.push(cb);
  }

  deliver(outcomes: PipelineOutcome[]): void {
    const { counters } = this;
    for (const o of outcomes) {
      if (o.kind === 'kill') {
        counters.inc('pipeline.parsed');
        if (o.older) counters.inc('pipeline.older');
        if (o.kill.enriched) counters.inc('pipeline.enriched');
      } else {
        counters.inc('pipeline.failed');
        counters.inc(`pipeline.failed.${o.reason}`);
        this.logFailure(o);
      }
    }
    for (const cb of this.listeners) {
      try {
        cb(outcomes);
      } catch (err) {
        // A listener bug must not stop the result loop; it is counted and logged.
        counters.inc('pipeline.listener_errors');
        this.logger.error({ err }, 'pipeline outcome listener threw');
      }
    }
  }

  private logFailure(o: Extract<PipelineOutcome, { kind: 'failed' }>): void {
    const now = Date.now();
    if (now - (this.lastFailureLogMs.get(o.reason) ?? 0) < FAILURE_LOG_INTERVAL_MS) return;
    this.lastFailureLogMs.set(o.reason, now);
    this.logger.warn({ reason: o.reason, seq: o.seq, source: o.source, detail: o.message }, 'pipeline entry failed (sampled)');
  }
}

export class SidebandSink {
  private readonly cacheWriteListeners: ((writes: readonly CacheWrite[]) => void)[] = [];
  private readonly statsByThread = new Map<number, Record<string, number>>();

  constructor(
    private readonly counters: Counters,
    private readonly logger: Logger,
  ) {}

  onCacheWrites(cb: (writes: readonly CacheWrite[]) => void): void {
    this.cacheWriteListeners.push(cb);
  }

  /** The latest enricher stats() of each worker thread seen. */
  enricherStats(): Record<string, number>[] {
    return [...this.statsByThread.values()];
  }

  accept(side: Sideband): void {
    if (side.enrichErrors > 0) this.counters.inc('pipeline.enrich_errors', side.enrichErrors);
    if (side.enricherStats !== undefined) this.statsByThread.set(side.threadId, side.enricherStats);
    const writes = side.cacheWrites;
    if (writes === undefined || writes.length === 0) return;
    if (this.cacheWriteListeners.length === 0) {
      // No writer wired (e.g. a bench without a store): the rows stay in the workers' LRUs only.
      this.counters.inc('pipeline.cache_writes_unclaimed', writes.length);
      return;
    }
    for (const cb of this.cacheWriteListeners) {
      try {
        cb(writes);
      } catch (err) {
        this.counters.inc('pipeline.listener_errors');
        this.logger.error({ err }, 'pipeline cache-write listener threw');
      }
    }
  }
}
