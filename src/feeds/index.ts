// Feeds stage: live sources that push raw killmail bytes into the pipeline's sink.
// Nothing here parses a killmail; `older` and `skipped` are decided downstream from
// RawEntry.cutoffMs and the store's dedupe.
import type { Config } from '../config/index.js';
import { WkError } from '../core/errors.js';
import type { FeedDeps, FeedHandle } from './common.js';
import { createR2Z2Feed, type R2Z2Options } from './r2z2.js';
import { createRedisQFeed, type RedisQOptions } from './redisq.js';
import { GapRepair, withGapRepair } from './gap-repair.js';
import type { BackfillProgressStore } from '../core/ports.js';

export type { CursorUpdate, FeedDeps, FeedHandle } from './common.js';
export { createR2Z2Feed, R2Z2_CURSOR, type R2Z2Options } from './r2z2.js';
export { createRedisQFeed, generateQueueId, isNullPackage, REDISQ_QUEUE_CURSOR, type CircuitState, type RedisQOptions } from './redisq.js';
export type { CursorMode } from './watermark.js';
export { BackfillFeed, createBackfillFeed, type BackfillOptions, type BackfillResult, type UnitError } from './backfill.js';
export { daysBetween, fileUnits, historyDayUnit, openFile, type BackfillUnit, type HistoryHttp } from './backfill-source.js';
export { JsonItemScanner, type ScannedItem, type Layout } from './backfill-scan.js';
export { GapRepair, withGapRepair, GAP_REPAIR_CURSOR, GAP_REPAIR_SEQ_BASE, type GapRepairOptions } from './gap-repair.js';

type R2Z2Tuning = Partial<Omit<R2Z2Options, keyof FeedDeps | 'baseUrl' | 'userAgent' | 'cutoffSeconds'>>;
type RedisQTuning = Partial<Omit<RedisQOptions, keyof FeedDeps | 'url' | 'queueId' | 'ttwSeconds' | 'userAgent' | 'cutoffSeconds'>>;

/** Loopback simulator defaults: no ban policy to respect, so poll quickly and without a 10/s cap. */
const SIM_R2Z2_DEFAULTS: R2Z2Tuning = { idleWaitMs: 250, maxRps: 1000, blockedBackoffMs: 1000, maxBlockedBackoffMs: 5000 };

export interface CreateFeedDeps extends FeedDeps {
  /** Base URL of the embedded simulator's R2Z2 routes; required when config.source is 'sim'. */
  simUrl?: string;
  /** Timing overrides (tests, the simulator, benchmarks); each defaults to the live policy. */
  r2z2?: R2Z2Tuning;
  redisq?: RedisQTuning;
  /** What the R2Z2 gap repair needs from the store; without it (or with config.gapRepair off) gaps are only counted. */
  history?: { progress: BackfillProgressStore; newestKillTimeMs(): number | undefined };
  /** Gap repair timing overrides (tests: a short wait for unpublished day files). */
  gapRepair?: { retryMissingMs?: number };
}

/**
 * Build the feed that `config.source` names, not yet started: 'r2z2' (default), 'redisq',
 * 'sim' (R2Z2 reader pointed at `deps.simUrl`), or 'none' → undefined (serve stored kills only).
 * The caller calls start(), acks every pushed seq once its outcome is terminal, reads health()
 * for /health and stats() for /status, and stop()s it before draining the pipeline. With
 * `r2z2.cursorMode: 'external'` it must also persist pendingCursor() with its store batches.
 * Throws ERR_CONFIG_INVALID for 'sim' without a simUrl.
 */
export function createFeed(config: Config, deps: CreateFeedDeps): FeedHandle | undefined {
  const base: FeedDeps = { sink: deps.sink, cursors: deps.cursors, logger: deps.logger, counters: deps.counters };
  const common = { userAgent: config.userAgent, cutoffSeconds: config.cutoffSeconds, maxEntryBytes: config.maxEntryBytes };
  switch (config.source) {
    case 'none':
      return undefined;
    case 'r2z2':
      return withRepair(config, deps, config.r2z2Url, (onGap) =>
        createR2Z2Feed({ ...base, ...common, ...deps.r2z2, baseUrl: config.r2z2Url, ...onGap }),
      );
    case 'sim': {
      const simUrl = deps.simUrl;
      if (simUrl === undefined || simUrl === '') {
        throw new WkError('ERR_CONFIG_INVALID', 'source "sim" needs the embedded simulator URL (deps.simUrl)');
      }
      return withRepair(config, deps, simUrl, (onGap) =>
        createR2Z2Feed({ ...base, ...common, ...SIM_R2Z2_DEFAULTS, ...deps.r2z2, baseUrl: simUrl, ...onGap }),
      );
    }
    case 'redisq':
      return createRedisQFeed({
        ...base,
        ...common,
        ...deps.redisq,
        url: config.redisqUrl,
        queueId: config.redisqQueueId,
        ttwSeconds: config.redisqTtwSeconds,
      });
    default:
      // The config schema only allows the cases above; another value is a bug.
      throw new WkError('ERR_CONFIG_INVALID', `unknown feed source "${config.source}"`);
  }
}

/** The R2Z2 feed with its gap repair (gap-repair.ts) when configured and the store is given. */
function withRepair(
  config: Config,
  deps: CreateFeedDeps,
  baseUrl: string,
  make: (onGap: { onGap?: (g: { fromSeq: number; toSeq: number }) => void }) => FeedHandle,
): FeedHandle {
  const history = deps.history;
  if (!config.gapRepair || history === undefined) return make({});
  const repair = new GapRepair({
    sink: deps.sink,
    cursors: deps.cursors,
    logger: deps.logger,
    counters: deps.counters,
    baseUrl,
    userAgent: config.userAgent,
    cutoffSeconds: config.cutoffSeconds,
    maxEntryBytes: config.maxEntryBytes,
    progress: history.progress,
    newestKillTimeMs: () => history.newestKillTimeMs(),
    rate: config.gapRepairRate,
    fetchConcurrency: config.backfillConcurrency,
    ...deps.gapRepair,
  });
  return withGapRepair(make({ onGap: (g) => repair.onGap(g) }), repair);
}
