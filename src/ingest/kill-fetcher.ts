// GET /api/v1/killmail/{id} for a kill the store does not hold (docs/API.md): the zKillboard
// API's /api/killID/{id}/, normalised and enriched by a pipeline worker through runOne — the
// same code path as the feeds, so the main thread still parses no killmail. The result is
// returned, neither stored nor broadcast.
//
// Anyone can name an id, so every lookup is an outbound zKillboard request the public triggers.
// Protections (docs/OPERATIONS.md "Upstream protection"), in the order a lookup meets them:
// a negative cache of misses (zKB's max-age), one call per id in flight (single-flight), a
// bounded queue (busy → 503 at once), a pause of the whole client after a 429/403 (Retry-After),
// and a strict per-second window shared by every lookup.
import type { Config } from '../config/index.js';
import { WkError } from '../core/errors.js';
import type { KillFetcher, KillMiss, SingleRunner } from '../core/ports.js';
import {
  Backoff,
  ConcurrencyLimiter,
  createHttpClient,
  createRateLimiter,
  ExpiringCache,
  headerValue,
  maxAgeMs,
  parseRetryAfterMs,
  POLICIES,
  SingleFlight,
  type NetResult,
} from '../net/index.js';
import type { Counters, Logger } from '../telemetry/index.js';

// A client waits on this request: past 15 s an answer is worth less than the 503 that frees the slot.
const FETCH_TIMEOUT_MS = 15_000;
/** How long a lookup may wait for the rate window before it is answered 503 instead. */
const MAX_WINDOW_WAIT_MS = 15_000;
/** A miss answered without Cache-Control is remembered this long (zKB itself sends an hour). */
const DEFAULT_MISS_TTL_MS = 300_000;
const EMPTY_ARRAY = /^\s*\[\s*\]\s*$/;
/** ESI failures that mean "no body for this id/hash" (not "ESI is down"): a 404, not a 503. */
const ESI_NO_BODY = /: (not_found|http_4xx): /;

const UNKNOWN: KillMiss = { missing: 'unknown to zKillboard' };

export interface KillFetcherHandle {
  fetch: KillFetcher;
  stats(): Record<string, number>;
  close(): Promise<void>;
}

export function createKillFetcher(deps: {
  config: Config;
  pipeline: SingleRunner;
  counters: Counters;
  logger?: Logger;
}): KillFetcherHandle {
  const { config, pipeline, counters } = deps;
  const client = createHttpClient({
    userAgent: config.userAgent,
    timeoutMs: FETCH_TIMEOUT_MS,
    connectionsPerOrigin: config.zkbMaxInFlight,
    maxBytes: config.maxEntryBytes,
    headers: { accept: 'application/json' },
  });
  // One start per 1/rate s rather than `rate` at once each second: the same average, but the
  // calls arrive evenly spaced, so jitter on the way cannot put two seconds' bursts in one.
  const window = createRateLimiter(1, 1000 / config.zkbMaxPerSecond);
  const slots = new ConcurrencyLimiter(config.zkbMaxInFlight, config.zkbMaxWaiting);
  const flights = new SingleFlight<number, string | KillMiss>();
  const misses = new ExpiringCache<number, KillMiss>(config.zkbMissCacheEntries);
  const blocked = new Backoff(POLICIES.zkbBlocked);
  const base = config.zkbUrl.replace(/\/+$/, '');

  function unavailable(message: string): WkError {
    return new WkError('ERR_INGEST_HTTP_STATUS', message);
  }

  function remember(id: number, miss: KillMiss, res: NetResult & { ok: true }): KillMiss {
    const ttl = Math.min(maxAgeMs(headerValue(res.headers, 'cache-control')) ?? DEFAULT_MISS_TTL_MS, config.zkbMissCacheMaxSeconds * 1000);
    misses.set(id, miss, ttl);
    return miss;
  }

  /** 429, 420, 403 and zKB's redirect to /api/blocked.json: stop every lookup for a while. */
  function pause(res: NetResult & { ok: true }): WkError {
    const asked = parseRetryAfterMs(headerValue(res.headers, 'retry-after'), Date.now());
    const ms = Math.min(asked ?? blocked.next(), config.zkbMaxPauseSeconds * 1000);
    window.pause(ms);
    counters.inc('zkb.paused');
    deps.logger?.warn(
      { status: res.status, pauseMs: ms, retryAfter: headerValue(res.headers, 'retry-after') },
      'zKillboard API refused us; pausing every lookup',
    );
    return unavailable(`zKillboard API answered ${res.status}; lookups paused for ${Math.ceil(ms / 1000)} s`);
  }

  async function fetchOne(id: number): Promise<string | KillMiss> {
    if (!(await window.take(AbortSignal.timeout(MAX_WINDOW_WAIT_MS)))) {
      counters.inc('zkb.busy');
      throw unavailable(`zKillboard lookups paused or saturated (${config.zkbMaxPerSecond}/s)`);
    }
    counters.inc('zkb.requests');
    const res = await client.request(`${base}/api/killID/${id}/`);
    if (!res.ok) {
      counters.inc('zkb.errors');
      throw new WkError('ERR_INGEST_TIMEOUT', `zKillboard API unreachable: ${res.reason}: ${res.message}`);
    }
    const { status } = res;
    if (status === 429 || status === 420 || status === 403 || (status >= 300 && status < 400)) throw pause(res);
    if (status === 404) return remember(id, UNKNOWN, res);
    if (status < 200 || status > 299) {
      counters.inc('zkb.errors');
      throw unavailable(`zKillboard API answered ${status}`);
    }
    blocked.reset();
    // `[]` is the API's "no such kill"; a short check, not a parse.
    if (res.body.byteLength < 16 && EMPTY_ARRAY.test(Buffer.from(res.body).toString('latin1'))) return remember(id, UNKNOWN, res);
    const outcome = await pipeline.runOne(res.body, 'esi');
    if (outcome.kind === 'kill') return outcome.kill.json;
    if (outcome.reason === 'esi_fetch' && ESI_NO_BODY.test(outcome.message)) {
      counters.inc('zkb.esi_no_body');
      return remember(id, { missing: `known to zKillboard, but ESI has no killmail body for it (${outcome.message})` }, res);
    }
    counters.inc('zkb.errors');
    throw new WkError('ERR_INGEST_HTTP_BODY', `zKillboard API entry rejected (${outcome.reason}): ${outcome.message}`);
  }

  async function admitted(id: number): Promise<string | KillMiss> {
    const paused = window.pausedForMs();
    if (paused > 0) {
      counters.inc('zkb.refused_paused');
      throw unavailable(`zKillboard lookups paused for ${Math.ceil(paused / 1000)} s (zKillboard asked us to wait)`);
    }
    const r = await slots.run(() => fetchOne(id));
    if (r !== undefined) return r.value;
    counters.inc('zkb.busy');
    throw unavailable(`zKillboard lookups busy (${config.zkbMaxInFlight} in flight, ${config.zkbMaxWaiting} waiting)`);
  }

  return {
    fetch: (id) => {
      const miss = misses.get(id);
      if (miss !== undefined) {
        counters.inc('zkb.miss_cache_hits');
        return Promise.resolve(miss);
      }
      if (flights.has(id)) counters.inc('zkb.joined');
      return flights.run(id, () => admitted(id));
    },
    stats: () => ({
      ...Object.fromEntries(Object.entries(slots.stats()).map(([k, v]) => [`zkb_${k}`, v])),
      zkb_requests: client.requests,
      zkb_miss_cache_entries: misses.size,
      zkb_paused_ms: Math.round(window.pausedForMs()),
      zkb_throttled: window.throttled,
    }),
    close: () => client.close(),
  };
}
