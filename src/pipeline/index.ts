// Pipeline stage (docs/ARCHITECTURE.md#rings-and-records): K lanes of SharedArrayBuffer rings feeding a
// Piscina pool that parses, validates, normalises and enriches raw feed entries.
import type { ComponentHealth, IngestSink, PipelineOutcome, SourceKind } from '../core/ports.js';
import { PipelinePool, type PipelineOptions, type PipelineStats } from './pool.js';
import type { CacheWrite } from '../core/cache-rows.js';

export type { PipelineStats } from './pool.js';

/** Options: config, logger, counters; `workerFile` (tests: a fixture wrapper), `drainTimeoutMs` (default 10 000). */
export type CreatePipelineOptions = PipelineOptions;

/**
 * The main-thread face of the pipeline. `push` writes an entry into a lane's ingest ring and
 * returns false when every lane is full; call `whenWritable()` then push again. Every accepted
 * entry yields exactly one outcome through `onResults` (kill or failed with its reason), even when
 * a worker crashes (retried once, then `dead_letter`). Counters: pipeline.received, .parsed,
 * .failed, .failed.<reason>, .older, .enriched, .retried, .dead_lettered, .worker_crashes,
 * .duplicates_discarded, .enrich_errors, .listener_errors, .pool_errors, .cache_writes_unclaimed.
 */
export interface Pipeline extends IngestSink {
  /** Spawn the workers and check the worker file loads; rejects when it does not. */
  start(): Promise<void>;
  /** Stop accepting, wait for in-flight entries (bounded by drainTimeoutMs), then destroy the pool. */
  stop(): Promise<void>;
  /** Called with each batch of outcomes, in per-lane entry order, on the main thread. */
  onResults(cb: (outcomes: PipelineOutcome[]) => void): void;
  /** Normalise (and enrich) one entry outside the rings: REST /killmail/{id} fallback. Not counted. */
  runOne(body: Uint8Array, source: SourceKind): Promise<PipelineOutcome>;
  /** Late re-enrichment of a stored canonical JSON; `enriched` false when names are still missing. */
  reenrich(json: string): Promise<{ json: string; enriched: boolean }>;
  stats(): PipelineStats;
  /** Component health for /health (the worker pool is alive). */
  health(): ComponentHealth;
  /**
   * Cache rows the workers' enrichers resolved, delivered after each task for the one SQLite
   * writer: `onCacheWrites((w) => cacheWriter.apply(w))`.
   * Unclaimed rows are counted (pipeline.cache_writes_unclaimed) and stay in the worker LRUs.
   */
  onCacheWrites(cb: (writes: readonly CacheWrite[]) => void): void;
  /** Latest enricher stats() per worker thread (cache hit/miss counts, ESI latencies), ≤ 1 s old. */
  enricherStats(): Record<string, number>[];
}

/** The pool is the pipeline; typed as the interface so callers see only its public face. */
export function createPipeline(opts: CreatePipelineOptions): Pipeline {
  return new PipelinePool(opts);
}
