// Messages between the pool (main) and pipeline.worker.ts. Control only: bulk entry and result
// bytes move through the rings (docs/ARCHITECTURE.md#rings-and-records).
import type { SourceKind } from '../core/ports.js';
import type { WireResult } from './result-codec.js';

/** The slice of Config a worker needs (workers get their slice through workerData). */
export interface WorkerConfig {
  maxEntryBytes: number;
  enrich: boolean;
  enrichBudgetMs: number;
  esiUrl: string;
  esiCompatibilityDate: string;
  userAgent: string;
  /** SQLite file the enricher's read connection opens for the shared name cache. */
  db: string;
}

export interface LaneBuffers {
  ingest: SharedArrayBuffer;
  result: SharedArrayBuffer;
}

export interface PipelineWorkerData {
  lanes: LaneBuffers[];
  config: WorkerConfig;
  /** enrich's createSharedLimits() buffer: ESI limits are per IP, so all workers share one state. */
  esiLimits?: SharedArrayBuffer;
}

/** Drain lane `lane`; entries with id <= sequentialThroughId are processed one at a time. */
export interface DrainTask {
  kind: 'drain';
  lane: number;
  sequentialThroughId: number;
}

export interface NormaliseOneTask {
  kind: 'normalise-one';
  body: Uint8Array;
  source: SourceKind;
  budgetMs: number;
  receivedAtUs: number;
}

export interface ReenrichTask {
  kind: 'reenrich';
  json: string;
  budgetMs: number;
}

export interface PingTask {
  kind: 'ping';
}

export type PipelineTask = DrainTask | NormaliseOneTask | ReenrichTask | PingTask;

/**
 * A cache row a worker's enricher resolved, for the main thread's single SQLite writer (enrich's
 * CacheWrite; kept structural here so pipeline/ does not depend on enrich/ types).
 */
export interface CacheRow {
  table: string;
  row: object;
}

/** Carried on every reply: what the worker's enricher produced besides the task's answer. */
export interface Sideband {
  threadId: number;
  /** Enricher calls that threw (kill kept with ids only); summed into pipeline.enrich_errors. */
  enrichErrors: number;
  cacheWrites?: CacheRow[];
  /** The enricher's stats(), at most once per ENRICHER_STATS_EVERY_MS per worker. */
  enricherStats?: Record<string, number>;
}

export interface DrainReply {
  processed: number;
  /** Time the task spent working, ms: its run time less the idle linger waits. */
  busyMs: number;
  side: Sideband;
}

export interface NormaliseOneReply {
  result: WireResult;
  side: Sideband;
}

export interface ReenrichReply {
  json: string;
  enriched: boolean;
  side: Sideband;
}
