// GET for the feeds on the shared outbound client (src/net). It returns bytes, never parses JSON
// (the main thread never parses killmails, docs/ARCHITECTURE.md), and turns every expected
// failure into a result with a reason instead of a throw, so the poll loops can count it and
// carry on ("bad input is data").
import { createHttpClient, headerValue, parseRetryAfterMs, type HttpClient } from '../net/index.js';

/** Why a GET did not produce a body. Used as the counter suffix: `feed.<name>.error.<reason>`. */
export type FetchFailReason =
  'http_5xx' | 'http_429' | 'http_403' | 'http_404' | 'http_other' | 'network' | 'timeout' | 'truncated' | 'too_large' | 'aborted';

export type FetchResult =
  | { ok: true; status: number; body: Uint8Array; url: string }
  | {
      ok: false;
      reason: FetchFailReason;
      status: number;
      /** Retry-After in ms when the server sent one (seconds or an HTTP date). */
      retryAfterMs: number | undefined;
      message: string;
    };

export interface FetchOptions {
  userAgent: string;
  timeoutMs: number;
  /** Aborts the request when the owning feed stops; the result is then `aborted`. */
  signal: AbortSignal;
  /** Largest body accepted; a longer one is cancelled and reported as `too_large`. */
  maxBytes: number;
  /** The feed's client (its connection pool); one per user agent is made when absent. */
  client?: HttpClient;
}

/** Redirects a feed follows: RedisQ's listen.php answers 302 to object.php. */
export const FEED_MAX_REDIRECTS = 5;

const fallbackClients = new Map<string, HttpClient>();

/** A client for a feed: keeps its sockets per origin between polls; close() it when the feed stops. */
export function createFeedClient(userAgent: string, timeoutMs: number): HttpClient {
  return createHttpClient({
    userAgent,
    timeoutMs,
    connectionsPerOrigin: 4,
    maxRedirects: FEED_MAX_REDIRECTS,
    headers: { accept: 'application/json' },
  });
}

export async function fetchBytes(url: string, opts: FetchOptions): Promise<FetchResult> {
  let client = opts.client;
  if (client === undefined) {
    client = fallbackClients.get(opts.userAgent);
    if (client === undefined) fallbackClients.set(opts.userAgent, (client = createFeedClient(opts.userAgent, opts.timeoutMs)));
  }
  const res = await client.request(url, { signal: opts.signal, timeoutMs: opts.timeoutMs, maxBytes: opts.maxBytes });
  if (!res.ok) return failure(res.reason, res.status, undefined, res.message);
  if (res.status < 200 || res.status > 299) {
    const retryAfterMs = parseRetryAfter(headerValue(res.headers, 'retry-after') ?? null, Date.now());
    return failure(statusReason(res.status), res.status, retryAfterMs, `HTTP ${res.status}`);
  }
  return { ok: true, status: res.status, body: res.body, url: res.url };
}

export function statusReason(status: number): FetchFailReason {
  if (status >= 500) return 'http_5xx';
  // 420 is the ESI/CCP flavour of "too many requests"; treat it like 429.
  if (status === 429 || status === 420) return 'http_429';
  if (status === 403) return 'http_403';
  if (status === 404) return 'http_404';
  return 'http_other';
}

/** Retry-After → ms from `nowMs` (kept under this name for the feed's callers and tests). */
export const parseRetryAfter = parseRetryAfterMs;

function failure(reason: FetchFailReason, status: number, retryAfterMs: number | undefined, message: string): FetchResult {
  return { ok: false, reason, status, retryAfterMs, message };
}
