// enrich/: ESI client, name/type/system resolution and caches (docs/API.md#the-canonical-killmail). What app.ts, the CLI
// and the pipeline workers use.

/** The one ESI client: rate limits, conditional requests, retries. See esi-client.ts. */
export {
  createEsiClient,
  type EsiClient,
  type EsiClientOptions,
  type EsiResult,
  type EsiFailReason,
  type ShapeCheck,
} from './esi-client.js';
export type { EsiRouteGroup } from './esi-gate.js';
/**
 * `createSharedLimits()`: one SharedArrayBuffer per process for the ESI limit state (error limit,
 * 420/429 pauses, bucket pacing) that every client given it as `sharedLimits` shares.
 */
export { createSharedLimits, SharedLimits } from './esi-shared-limits.js';
export type { HttpCacheRow, HttpCacheStore } from './http-cache.js';
/**
 * `createWorkerEnricher(opts)` implements core/ports.ts WorkerEnricher inside a worker (or on the
 * main thread) and adds `takePendingWrites()` for the rows it resolved.
 */
export { createWorkerEnricher, type WorkerEnricherOptions, type EnricherWithWrites } from './worker-enricher.js';
/** Main-thread writer of worker-resolved cache rows: `createCacheWriter(db).apply(writes)` in one transaction. */
export { createCacheWriter, type CacheWrite, type CacheWriter, type CacheTable } from './cache-writer.js';
/** `wkills sde import FILE_OR_URL`: fuzzwork CSVs into sde_groups/sde_types/sde_systems. */
export { importSde, type SdeImportResult, SHIP_CATEGORY_ID } from './sde.js';
export { ENTITY_TTL_MS } from './cache.js';
export { UNRESOLVABLE_TTL_MS } from './resolve.js';
export { MAX_NAMES_PER_CALL } from './names.js';
