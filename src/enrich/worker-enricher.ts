// The WorkerEnricher of core/ports.ts: what a pipeline worker (or the main thread, for the
// uncached `/killmail/:id` path) calls. Pure of pool code: ESI client + caches + resolver.
import type { CanonicalKillmail } from '../core/killmail.js';
import type { WarmNames, WorkerEnricher } from '../core/ports.js';
import { WkError } from '../core/errors.js';
import { Counters } from '../telemetry/counters.js';
import { histogramFields } from '../telemetry/worker-histograms.js';
import { NameCache } from './cache.js';
import type { CacheWrite } from './cache-writer.js';
import { createEsiClient, type EsiClient } from './esi-client.js';
import { Lru } from './lru.js';
import { Resolver, type Missing } from './resolve.js';
import { isKillmailBody } from './shapes.js';
import { createWarmNames } from './warm-names.js';

export interface WorkerEnricherOptions {
  esiUrl: string;
  userAgent: string;
  compatibilityDate: string;
  /** The kills database file (readonly here), or ':memory:' for no shared cache. */
  dbPath: string;
  timeoutMs?: number;
  counters?: Counters;
  maxConcurrencyPerRoute?: number;
  lruEntriesPerNamespace?: number;
  /** Immutable killmail bodies kept in memory (GET /killmails/{id}/{hash}/). */
  killmailCacheEntries?: number;
  backoffBaseMs?: number;
  maxAttempts?: number;
  now?: () => number;
  /** createSharedLimits() buffer: the ESI limit state shared with the other workers. */
  sharedLimits?: SharedArrayBuffer;
}

export type EnricherWithWrites = WorkerEnricher & {
  /** Rows resolved since the last call, for the main-thread CacheWriter. */
  takePendingWrites(): CacheWrite[];
  /** Resolves once no lookup is in flight (those started meanwhile included). */
  lookupsSettled(): Promise<void>;
};

export function createWorkerEnricher(opts: WorkerEnricherOptions): EnricherWithWrites {
  const counters = opts.counters ?? new Counters();
  const cache = new NameCache({
    dbPath: opts.dbPath,
    counters,
    ...(opts.lruEntriesPerNamespace !== undefined ? { lruEntriesPerNamespace: opts.lruEntriesPerNamespace } : {}),
    ...(opts.now !== undefined ? { now: opts.now } : {}),
  });
  const client = createEsiClient({
    baseUrl: opts.esiUrl,
    userAgent: opts.userAgent,
    compatibilityDate: opts.compatibilityDate,
    timeoutMs: opts.timeoutMs ?? 10_000,
    maxConcurrencyPerRoute: opts.maxConcurrencyPerRoute ?? 8,
    counters,
    httpCacheStore: cache.httpCacheStore(),
    ...(opts.backoffBaseMs !== undefined ? { backoffBaseMs: opts.backoffBaseMs } : {}),
    ...(opts.maxAttempts !== undefined ? { maxAttempts: opts.maxAttempts } : {}),
    ...(opts.now !== undefined ? { now: opts.now } : {}),
    ...(opts.sharedLimits !== undefined ? { sharedLimits: opts.sharedLimits } : {}),
  });
  return new Enricher(client, cache, new Resolver(client, cache, counters), counters, opts.killmailCacheEntries ?? 2000);
}

class Enricher implements EnricherWithWrites {
  private readonly killmails: Lru<string, unknown>;
  private readonly killmailsInflight = new Map<string, Promise<unknown>>();
  private readonly lookups = new Set<Promise<void>>();

  constructor(
    private readonly client: EsiClient,
    private readonly cache: NameCache,
    private readonly resolver: Resolver,
    private readonly counters: Counters,
    killmailCacheEntries: number,
  ) {
    this.killmails = new Lru(killmailCacheEntries);
  }

  /** Throws a WkError (ERR_ESI_*) when ESI gives no usable body; the pipeline counts it as `esi_fetch`. */
  fetchKillmail(killmailId: number, hash: string): Promise<unknown> {
    const key = `${killmailId}/${hash}`;
    const hit = this.killmails.get(key);
    if (hit !== undefined) {
      this.counters.inc('enrich.killmail.cache_hit');
      return Promise.resolve(hit);
    }
    const running = this.killmailsInflight.get(key);
    if (running !== undefined) return running;
    const p = this.fetchKillmailOnce(killmailId, hash, key).finally(() => this.killmailsInflight.delete(key));
    this.killmailsInflight.set(key, p);
    return p;
  }

  async enrich(kill: CanonicalKillmail, budgetMs: number): Promise<boolean> {
    this.counters.inc('enrich.kills');
    const missing: Missing = { names: new Set(), jobs: new Map() };
    if (this.resolver.fill(kill, missing)) {
      this.counters.inc('enrich.complete');
      return true;
    }
    // Lookups outlive the budget on purpose: they fill the caches, and a later enrich() of the
    // stored copy completes the kill.
    const running = this.resolver.lookup(missing);
    this.lookups.add(running);
    void running.then(() => this.lookups.delete(running));
    if (budgetMs > 0) await waitAtMost(running, budgetMs);
    const complete = this.resolver.fill(kill);
    this.counters.inc(complete ? 'enrich.complete' : 'enrich.partial');
    return complete;
  }

  warmNames(): WarmNames {
    return createWarmNames(this.cache, this.counters);
  }

  takePendingWrites(): CacheWrite[] {
    return this.cache.takePendingWrites();
  }

  async lookupsSettled(): Promise<void> {
    while (this.lookups.size > 0) await Promise.all([...this.lookups]);
  }

  stats(): Record<string, number> {
    this.client.stats();
    const s = this.cache.stats();
    for (const [group, h] of this.client.latencyHistograms()) {
      if (h.count > 0) Object.assign(s, histogramFields('wkills_esi_request_duration_seconds', [group], h));
    }
    s['enrich.lookups_in_flight'] = this.lookups.size;
    return s;
  }

  /** Aborts outstanding requests, waits for the lookups to settle, closes the database. */
  async close(): Promise<void> {
    this.client.close();
    await Promise.all([...this.lookups]);
    this.cache.close();
  }

  private async fetchKillmailOnce(killmailId: number, hash: string, key: string): Promise<unknown> {
    const r = await this.client.get('killmails', `/killmails/${killmailId}/${encodeURIComponent(hash)}/`, isKillmailBody);
    if (!r.ok) {
      this.counters.inc(`enrich.killmail.failed.${r.reason}`);
      throw new WkError(r.code, `killmail ${killmailId}: ${r.reason}: ${r.message}`);
    }
    if ((r.body as { killmail_id: number }).killmail_id !== killmailId) {
      this.counters.inc('enrich.killmail.failed.wrong_id');
      throw new WkError('ERR_ESI_BODY', `killmail ${killmailId}: ESI answered another killmail id`);
    }
    this.killmails.set(key, r.body);
    return r.body;
  }
}

/** Resolves when `p` settles or after `ms`, whichever is first; the timer never outlives it. */
function waitAtMost(p: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer));
}
