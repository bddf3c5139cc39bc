// Feeds stage: live sources that push raw killmail bytes into the pipeline's sink.
// Nothing here parses a killmail; `older` and `skipped` are decided downstream from
// RawEntry.cutoffMs and the store's dedupe.
import type { Config } from '../config/index.js';
import { WkError } from '../core/errors.js';
import type { FeedDeps, FeedHandle } from './common.js';
import { createR2Z2Feed, type R2Z2Options } from './r2z2.js';
import { createRedisQFeed, type RedisQOptions } from './redisq.js';

export type { CursorUpdate, FeedDeps, FeedHandle } from './common.js';
export { createR2Z2Feed, R2Z2_CURSOR, type R2Z2Options } from './r2z2.js';
export { createRedisQFeed, generateQueueId, isNullPackage, REDISQ_QUEUE_CURSOR, type CircuitState, type RedisQOptions } from './redisq.js';
export type { CursorMode } from './watermark.js';

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
      return createR2Z2Feed({ ...base, ...common, ...deps.r2z2, baseUrl: config.r2z2Url });
    case 'sim':
      if (deps.simUrl === undefined || deps.simUrl === '') {
        throw new WkError('ERR_CONFIG_INVALID', 'source "sim" needs the embedded simulator URL (deps.simUrl)');
      }
      return createR2Z2Feed({ ...base, ...common, ...SIM_R2Z2_DEFAULTS, ...deps.r2z2, baseUrl: deps.simUrl });
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
