// The one ESI client, used by pipeline workers and the main thread alike, on the shared outbound
// client (src/net: an undici pool per origin, per thread).
// Every expected failure comes back as a result with a reason, never a throw, so callers can
// count it and leave the kill with ids (bad input is data).
import { setMaxListeners } from 'node:events';
import type { ErrorCode } from '../core/errors.js';
import { backoffMs, createHttpClient, POLICIES, toHeaders, type HttpClient, type NetFailReason } from '../net/index.js';
import { Counters } from '../telemetry/counters.js';
import { LatencyHistogram, type LatencySummary } from '../telemetry/histogram.js';
import { EsiGate, ESI_ROUTE_GROUPS, type EsiRouteGroup } from './esi-gate.js';
import { SharedLimits } from './esi-shared-limits.js';
import { HttpCache, type HttpCacheStore } from './http-cache.js';

// The largest ESI answers (a killmail of a fight with thousands of attackers) are ~1-2 MB; a body
// that decodes past this is a fault or a compression bomb, not data.
const ESI_MAX_BODY_BYTES = 16 * 1024 * 1024;

export type EsiFailReason =
  | 'not_found'
  | 'http_4xx'
  | 'http_5xx'
  | 'error_limited'
  | 'rate_limited'
  | 'timeout'
  | 'network'
  | 'malformed'
  | 'truncated'
  | 'wrong_shape'
  | 'aborted';

export type EsiResult =
  | { ok: true; status: number; body: unknown; cached: boolean }
  | { ok: false; status: number; reason: EsiFailReason; code: ErrorCode; message: string };

export interface EsiClientOptions {
  baseUrl: string;
  userAgent: string;
  compatibilityDate: string;
  /** Whole request (headers and body) in ms; a hanging server becomes `timeout`. */
  timeoutMs: number;
  maxConcurrencyPerRoute: number;
  counters?: Counters;
  now?: () => number;
  /** Largest decoded body (default 16 MiB); past it the answer is a counted ERR_ESI_BODY. */
  maxBodyBytes?: number;
  /** Attempts for 5xx, timeouts, network errors and truncated bodies (first try included). */
  maxAttempts?: number;
  /** Extra attempts after 420/429 (each waits for the announced reset first). */
  maxRateLimitRetries?: number;
  /** First back-off step in ms; doubled per attempt, jittered ±50 %, capped at 8× this. */
  backoffBaseMs?: number;
  errorLimitLowWater?: number;
  /** Optional persistence of ETag/Expires rows (esi_http_cache). */
  httpCacheStore?: HttpCacheStore;
  maxHttpCacheEntries?: number;
  /** createSharedLimits() buffer shared by every client of the process (limits are per IP). */
  sharedLimits?: SharedArrayBuffer;
}

/** Returns false when a 2xx body does not have the expected shape (→ `wrong_shape`). */
export type ShapeCheck = (body: unknown) => boolean;

export interface EsiClient {
  get(group: EsiRouteGroup, path: string, isShape: ShapeCheck): Promise<EsiResult>;
  post(group: EsiRouteGroup, path: string, body: unknown, isShape: ShapeCheck): Promise<EsiResult>;
  stats(): Record<string, number>;
  latency(): Record<string, LatencySummary>;
  latencyHistograms(): ReadonlyMap<EsiRouteGroup, LatencyHistogram>;
  close(): void;
}

/**
 * Groups whose ETag rows are worth persisting: their resolved names expire (24 h) and are then
 * revalidated. Types, groups, systems and constellations are cached forever once resolved, and
 * killmails are immutable, so their rows would never be read again.
 */
const PERSISTED_GROUPS: ReadonlySet<EsiRouteGroup> = new Set<EsiRouteGroup>(['corporations', 'alliances', 'characters']);

type Attempt = EsiResult | { retry: EsiFailReason; status: number; message: string };

const FAIL_CODE: Record<EsiFailReason, ErrorCode> = {
  not_found: 'ERR_ESI_HTTP_STATUS',
  http_4xx: 'ERR_ESI_HTTP_STATUS',
  http_5xx: 'ERR_ESI_HTTP_STATUS',
  network: 'ERR_ESI_HTTP_STATUS',
  aborted: 'ERR_ESI_HTTP_STATUS',
  error_limited: 'ERR_ESI_RATE_LIMITED',
  rate_limited: 'ERR_ESI_RATE_LIMITED',
  timeout: 'ERR_ESI_TIMEOUT',
  malformed: 'ERR_ESI_BODY',
  truncated: 'ERR_ESI_BODY',
  wrong_shape: 'ERR_ESI_BODY',
};

export function createEsiClient(opts: EsiClientOptions): EsiClient {
  return new Client(opts);
}

class Client implements EsiClient {
  private readonly counters: Counters;
  private readonly now: () => number;
  private readonly gate: EsiGate;
  private readonly cache: HttpCache;
  // Every request in flight listens on this signal (removed when it settles): many may be in
  // flight at once, which is not the leak Node's 10-listener warning guards against.
  private readonly stop = noListenerCap(new AbortController());
  private readonly histograms = new Map<EsiRouteGroup, LatencyHistogram>();
  private readonly base: string;
  private readonly headers: Record<string, string>;
  private readonly http: HttpClient;

  constructor(private readonly opts: EsiClientOptions) {
    this.counters = opts.counters ?? new Counters();
    this.now = opts.now ?? Date.now;
    this.base = opts.baseUrl.replace(/\/+$/, '');
    this.gate = new EsiGate({
      maxConcurrencyPerRoute: opts.maxConcurrencyPerRoute,
      errorLimitLowWater: opts.errorLimitLowWater ?? 10,
      now: this.now,
      ...(opts.sharedLimits !== undefined ? { shared: new SharedLimits(opts.sharedLimits) } : {}),
    });
    this.cache = new HttpCache(opts.maxHttpCacheEntries ?? 5000, opts.httpCacheStore);
    this.headers = {
      'x-compatibility-date': opts.compatibilityDate,
      accept: 'application/json',
    };
    // Connections per origin: every route group may have its cap in flight at once.
    this.http = createHttpClient({
      userAgent: opts.userAgent,
      timeoutMs: opts.timeoutMs,
      maxRedirects: 3,
      connectionsPerOrigin: opts.maxConcurrencyPerRoute * ESI_ROUTE_GROUPS.length,
      maxBytes: opts.maxBodyBytes ?? ESI_MAX_BODY_BYTES,
    });
    for (const g of ESI_ROUTE_GROUPS) this.histograms.set(g, new LatencyHistogram());
  }

  get(group: EsiRouteGroup, path: string, isShape: ShapeCheck): Promise<EsiResult> {
    return this.request(group, 'GET', this.base + path, undefined, isShape);
  }

  post(group: EsiRouteGroup, path: string, body: unknown, isShape: ShapeCheck): Promise<EsiResult> {
    return this.request(group, 'POST', this.base + path, JSON.stringify(body), isShape);
  }

  stats(): Record<string, number> {
    const g = this.gate.snapshot();
    this.counters.set('esi.error_limit.remain', Number.isFinite(g.errorRemain) ? g.errorRemain : -1);
    this.counters.set('esi.http_cache.entries', this.cache.size);
    this.counters.set('esi.http_cache.corrupt_rows', this.cache.corruptRows);
    return this.counters.snapshot();
  }

  /** Per route group, for the main thread's Prometheus buckets (telemetry histogramFields). */
  latencyHistograms(): ReadonlyMap<EsiRouteGroup, LatencyHistogram> {
    return this.histograms;
  }

  latency(): Record<string, LatencySummary> {
    const out: Record<string, LatencySummary> = {};
    for (const [g, h] of this.histograms) out[g] = h.summary();
    return out;
  }

  close(): void {
    this.stop.abort();
    void this.http.close();
    this.gate.close();
    for (const h of this.histograms.values()) h.destroy();
    this.histograms.clear();
  }

  private async request(
    group: EsiRouteGroup,
    method: string,
    url: string,
    body: string | undefined,
    isShape: ShapeCheck,
  ): Promise<EsiResult> {
    // Before Expires the cached body is the answer: asking again can get an app banned (§4.3).
    if (method === 'GET' && group !== 'killmails') {
      const fresh = this.cache.fresh(url, this.now());
      if (fresh !== undefined) {
        this.counters.inc('esi.http_cache.fresh');
        return { ok: true, status: 200, body: fresh, cached: true };
      }
    }
    const maxAttempts = this.opts.maxAttempts ?? 3;
    const maxLimited = this.opts.maxRateLimitRetries ?? 5;
    let transient = 0;
    let limited = 0;
    for (;;) {
      const r = await this.attempt(group, method, url, body, isShape);
      if (!('retry' in r)) return this.settle(r);
      const isLimit = r.retry === 'error_limited' || r.retry === 'rate_limited';
      const used = isLimit ? ++limited : ++transient;
      if (this.stop.signal.aborted || used >= (isLimit ? maxLimited + 1 : maxAttempts)) {
        return this.settle(fail(r.retry, r.status, r.message));
      }
      this.counters.inc(`esi.retry.${r.retry}`);
      // 420/429 wait in the gate until the announced reset; other failures back off here.
      if (!isLimit) await this.gate.sleep(this.backoffMs(used));
    }
  }

  private settle(r: EsiResult): EsiResult {
    if (!r.ok && r.reason !== 'not_found') this.counters.inc(`esi.failed.${r.reason}`);
    if (!r.ok && r.reason === 'not_found') this.counters.inc('esi.not_found');
    return r;
  }

  private backoffMs(attempt: number): number {
    const base = this.opts.backoffBaseMs ?? POLICIES.esiTransient.firstMs;
    // The attempt count is the loop's (maxAttempts); the policy only shapes the wait.
    return backoffMs({ ...POLICIES.esiTransient, firstMs: base, maxMs: base * 8, maxAttempts: Infinity }, attempt) as number;
  }

  private async attempt(
    group: EsiRouteGroup,
    method: string,
    url: string,
    body: string | undefined,
    isShape: ShapeCheck,
  ): Promise<Attempt> {
    await this.gate.acquire(group);
    try {
      if (this.stop.signal.aborted) return fail('aborted', 0, 'client closed');
      this.counters.inc('esi.requests');
      this.counters.inc(`esi.requests.${group}`);
      const startedMs = performance.now();
      const r = await this.send(group, method, url, body, isShape);
      this.histograms.get(group)?.recordUs((performance.now() - startedMs) * 1000);
      return r;
    } finally {
      this.gate.release(group);
    }
  }

  private async send(group: EsiRouteGroup, method: string, url: string, body: string | undefined, isShape: ShapeCheck): Promise<Attempt> {
    const headers: Record<string, string> = { ...this.headers };
    const stale = method === 'GET' && group !== 'killmails' ? this.cache.stale(url) : undefined;
    if (stale?.etag) headers['if-none-match'] = stale.etag;
    if (body !== undefined) headers['content-type'] = 'application/json';
    // The client's timeout covers headers and body; the stop signal aborts what is in flight.
    const res = await this.http.request(url, {
      method: method === 'POST' ? 'POST' : 'GET',
      headers,
      signal: this.stop.signal,
      ...(body !== undefined && { body }),
    });
    if (!res.ok) {
      if (res.status === 0 || res.reason !== 'truncated') return this.transportFailure(res.reason, res.message);
      this.counters.inc(`esi.status.${res.status}`);
      return this.transportFailure('truncated', res.message);
    }
    const h = toHeaders(res.headers);
    this.gate.onResponse(group, res.status, h);
    this.counters.inc(`esi.status.${res.status}`);
    if (res.status === 304 && stale !== undefined) {
      this.cache.revalidated(url, h, this.now());
      this.counters.inc('esi.http_cache.not_modified');
      return { ok: true, status: 304, body: stale.parsed, cached: true };
    }
    if (res.status < 200 || res.status > 299) return statusFailure(res.status);
    return this.parse(
      group,
      method,
      url,
      res.status,
      h,
      Buffer.from(res.body.buffer, res.body.byteOffset, res.body.byteLength).toString('utf8'),
      isShape,
    );
  }

  private parse(
    group: EsiRouteGroup,
    method: string,
    url: string,
    status: number,
    headers: Headers,
    text: string,
    isShape: ShapeCheck,
  ): Attempt {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      // A body cut short ends mid-token (a proxy or ESI itself can send a short body with a
      // matching length): retried like a transport truncation. Anything else is malformed.
      const message = `${url}: ${describe(err)}`;
      if (/end of (JSON|data)|Unterminated/i.test(describe(err)) || text.length === 0) return { retry: 'truncated', status, message };
      return fail('malformed', status, message);
    }
    if (!isShape(parsed)) return fail('wrong_shape', status, `${url}: unexpected body shape`);
    if (method === 'GET' && group !== 'killmails') this.cache.store(url, headers, text, parsed, this.now(), PERSISTED_GROUPS.has(group));
    return { ok: true, status, body: parsed, cached: false };
  }

  private transportFailure(reason: NetFailReason, message: string): Attempt {
    if (this.stop.signal.aborted || reason === 'aborted') return fail('aborted', 0, 'client closed');
    if (reason === 'too_large') return fail('malformed', 0, message);
    return { retry: reason, status: 0, message };
  }
}

function statusFailure(status: number): Attempt {
  if (status === 404) return fail('not_found', status, 'HTTP 404');
  if (status === 420) return { retry: 'error_limited', status, message: 'HTTP 420 error limited' };
  if (status === 429) return { retry: 'rate_limited', status, message: 'HTTP 429 rate limited' };
  if (status >= 500) return { retry: 'http_5xx', status, message: `HTTP ${status}` };
  return fail('http_4xx', status, `HTTP ${status}`);
}

function fail(reason: EsiFailReason, status: number, message: string): EsiResult {
  return { ok: false, status, reason, code: FAIL_CODE[reason], message };
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as { cause?: unknown }).cause;
    return cause instanceof Error ? `${err.message}: ${cause.message}` : err.message;
  }
  return String(err);
}

function noListenerCap(c: AbortController): AbortController {
  setMaxListeners(0, c.signal);
  return c;
}
