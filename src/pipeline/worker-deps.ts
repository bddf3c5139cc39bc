// The one place a pipeline worker builds its outside dependencies: enrich/'s WorkerEnricher
// (ESI client with rate limits and caching, shared SQLite name cache read-only + per-worker LRU).
// It serves both the killmail fetch of short packages (always) and name enrichment (when
// config.enrich). Rows it resolves go back to the main thread's single SQLite writer through
// the task replies (`takePendingWrites`, see worker-runtime.ts).
import type { WorkerEnricher } from '../core/ports.js';
import { createWorkerEnricher } from '../enrich/worker-enricher.js';
import type { FetchKillmail } from './normalise.js';
import type { CacheWrite } from '../core/cache-rows.js';
import type { SidebandMessage, WorkerConfig } from './types.js';

export interface WorkerDeps {
  fetchKillmail?: FetchKillmail;
  enricher?: WorkerEnricher & { takePendingWrites?(): CacheWrite[]; lookupsSettled?(): Promise<void> };
  /** Sends a message to the main thread outside a task (the worker entry wires parentPort). */
  post?: (message: SidebandMessage) => void;
}

/** `esiLimits`: the pool's shared ESI limit state, so one worker's 420 pauses every worker. */
export function createWorkerDeps(config: WorkerConfig, esiLimits?: SharedArrayBuffer): WorkerDeps {
  const enricher = createWorkerEnricher({
    esiUrl: config.esiUrl,
    userAgent: config.userAgent,
    compatibilityDate: config.esiCompatibilityDate,
    dbPath: config.db,
    ...(esiLimits !== undefined ? { sharedLimits: esiLimits } : {}),
  });
  return { fetchKillmail: (id, hash) => enricher.fetchKillmail(id, hash), enricher };
}
