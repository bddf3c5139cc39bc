// A small GET wrapper on the global fetch (undici in Node 20) for the feeds. It returns bytes,
// never parses JSON (the main thread never parses killmails, DESIGN "The shape"), and turns
// every expected failure into a result with a reason instead of a throw, so the poll loops
// can count it and carry on (SPEC §2 "bad input is data").
import { parseRetryAfterMs } from '../core/http-headers.js';

/** Why a GET did not produce a body. Used as the counter suffix: `feed.<name>.error.<reason>`. */
export type FetchFailReason =
  | 'http_5xx'
  | 'http_429'
  | 'http_403'
  | 'http_404'
  | 'http_other'
  | 'network'
  | 'timeout'
  | 'truncated'
  | 'too_large'
  | 'aborted';

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
}

export async function fetchBytes(url: string, opts: FetchOptions): Promise<FetchResult> {
  // One controller per request, tied to the feed's signal by a listener removed in `finally`:
  // AbortSignal.any([feedSignal, timeout]) keeps a reference from the long-lived feed signal to
  // every request's combined signal on Node 20 (~70 bytes a request that GC never frees).
  const request = new AbortController();
  let timedOut = false;
  const onStop = (): void => request.abort();
  const timer = setTimeout(() => {
    timedOut = true;
    request.abort();
  }, opts.timeoutMs);
  opts.signal.addEventListener('abort', onStop, { once: true });
  if (opts.signal.aborted) request.abort();
  const why = (): FetchFailReason | undefined => (opts.signal.aborted ? 'aborted' : timedOut ? 'timeout' : undefined);
  try {
    let res: Response;
    try {
      // redirect 'follow': RedisQ's listen.php answers 302 to object.php (external-apis §1.2).
      res = await fetch(url, {
        method: 'GET',
        headers: { 'user-agent': opts.userAgent, accept: 'application/json' },
        redirect: 'follow',
        signal: request.signal,
      });
    } catch (err) {
      return failure(why() ?? 'network', 0, undefined, describe(err));
    }
    if (res.status < 200 || res.status > 299) {
      const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'), Date.now());
      // Cancel the body so undici can reuse or close the socket instead of waiting for GC.
      await res.body?.cancel().catch((err: unknown) => err);
      return failure(statusReason(res.status), res.status, retryAfterMs, `HTTP ${res.status}`);
    }
    return await readBody(res, opts, request.signal, why);
  } finally {
    clearTimeout(timer);
    opts.signal.removeEventListener('abort', onStop);
  }
}

async function readBody(res: Response, opts: FetchOptions, signal: AbortSignal, why: () => FetchFailReason | undefined): Promise<FetchResult> {
  const declared = declaredLength(res.headers);
  if (declared !== undefined && declared > opts.maxBytes) {
    await res.body?.cancel().catch((err: unknown) => err);
    return failure('too_large', res.status, undefined, `content-length ${declared} > ${opts.maxBytes}`);
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    if (res.body) {
      const reader = (res.body as ReadableStream<Uint8Array>).getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        total += value.byteLength;
        if (total > opts.maxBytes) {
          await reader.cancel().catch((err: unknown) => err);
          return failure('too_large', res.status, undefined, `body over ${opts.maxBytes} bytes`);
        }
        chunks.push(value);
      }
    }
  } catch (err) {
    // undici errors the body stream ("terminated") when the socket closes before the declared
    // length or the last chunk arrived: that is a truncated body, never a usable one.
    if (signal.aborted) return failure(why() ?? 'timeout', res.status, undefined, describe(err));
    return failure('truncated', res.status, undefined, describe(err));
  }
  if (declared !== undefined && total !== declared) {
    return failure('truncated', res.status, undefined, `got ${total} of ${declared} bytes`);
  }
  return { ok: true, status: res.status, body: concat(chunks, total), url: res.url };
}

/** content-length describes the encoded bytes; only compare it when fetch did not decode. */
function declaredLength(headers: Headers): number | undefined {
  const enc = headers.get('content-encoding');
  if (enc !== null && enc !== '' && enc !== 'identity') return undefined;
  const raw = headers.get('content-length');
  if (raw === null || !/^\d+$/.test(raw)) return undefined;
  return Number(raw);
}

function concat(chunks: Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1 && chunks[0] !== undefined) return chunks[0];
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
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

function describe(err: unknown): string {
  if (err instanceof Error) {
    const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
    return `${err.message}${cause}`;
  }
  return String(err);
}
