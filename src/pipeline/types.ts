// Messages between the pool (main) and pipeline.worker.ts. Control only: bulk entry and result
// bytes move through the rings (docs/ARCHITECTURE.md#rings-and-records).
import type { CacheWrite } from '../core/cache-rows.js';
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
  /** The worker thread's nice value (config.workerNice; core/threads.ts says why). */
  nice: number;
  /** config.transcode: inline entries without enrichment go bytes to bytes (transcode.ts). */
  transcode: boolean;
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
  /** The feed's sequence and the broadcast cutoff of a ring entry sent directly (pool.ts); 0 for runOne. */
  seq: number;
  cutoffMs: number;
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

/** Carried on every reply: what the worker's enricher produced besides the task's answer. */
export interface Sideband {
  threadId: number;
  /** Enricher calls that threw (kill kept with ids only); summed into pipeline.enrich_errors. */
  enrichErrors: number;
  /** Name cache rows the enricher resolved, for the main thread's single SQLite writer. */
  cacheWrites?: CacheWrite[];
  /** The enricher's stats(), at most once per ENRICHER_STATS_EVERY_MS per worker. */
  enricherStats?: Record<string, number>;
}

/**
 * Posted by a worker outside any task (parentPort → Piscina's 'message' event): the cache rows of
 * lookups that outlived their kill's enrich budget, so they reach the shared SQLite cache, and so
 * the other workers, on a quiet feed too instead of waiting for this worker's next task.
 */
export interface SidebandMessage {
  kind: 'sideband';
  side: Sideband;
}

export function isSidebandMessage(m: unknown): m is SidebandMessage {
  return typeof m === 'object' && m !== null && (m as { kind?: unknown }).kind === 'sideband';
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

/** What each task kind answers: the worker's handlers and the pool's run() are both typed by it. */
export interface TaskReplies {
  drain: DrainReply;
  'normalise-one': NormaliseOneReply;
  reenrich: ReenrichReply;
  ping: 'pong';
}

export type TaskKind = PipelineTask['kind'];
export type TaskOf<K extends TaskKind> = Extract<PipelineTask, { kind: K }>;
export type ReplyTo<T extends PipelineTask> = TaskReplies[T['kind']];
