// The outbound HTTP client every stage uses (feeds, ESI, the zKB API): one undici Agent per
// client, which keeps a connection pool per origin, with an overall timeout per request, abort
// tied to the owner's stop signal, a body size cap and truncation detection. It returns the
// status, headers and bytes of any answer; what a status means (retry, back off, give up) is the
// caller's policy (policies.ts). Transport failures come back as a result, never a throw.
import { setMaxListeners } from 'node:events';
import { Agent, type Dispatcher } from 'undici';
import { ACCEPT_ENCODING, decodedBody, decodedHeaders } from './decode.js';
import { headerValue } from './headers.js';

export type NetFailReason = 'timeout' | 'network' | 'aborted' | 'too_large' | 'truncated';

export type NetHeaders = Record<string, string | string[] | undefined>;

export type NetResult =
  | { ok: true; status: number; headers: NetHeaders; body: Uint8Array; /** After redirects. */ url: string }
  | { ok: false; reason: NetFailReason; status: number; message: string };

export interface HttpClientOptions {
  /** Sent on every request (zKillboard and ESI ask for contact details). */
  userAgent: string;
  /** Whole request, headers and body, in ms. */
  timeoutMs: number;
  /** Sockets per origin (undici pool size). */
  connectionsPerOrigin?: number;
  /** Largest body read, counted after decompression; longer ones are cancelled as `too_large`. */
  maxBytes?: number;
  /** Follow up to this many redirects (RedisQ's listen.php answers 302); 0 = answer the 3xx. */
  maxRedirects?: number;
  /** Headers sent on every request besides user-agent (lower-case names). */
  headers?: Record<string, string>;
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'HEAD' | 'PUT' | 'DELETE';
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  /** Aborts the request (the result is then `aborted`). */
  signal?: AbortSignal;
  timeoutMs?: number;
  maxBytes?: number;
}

/** A Fetch API Headers view of undici's header record (for code written against fetch). */
export function toHeaders(h: NetHeaders): Headers {
  const out = new Headers();
  for (const [k, v] of Object.entries(h)) {
    if (Array.isArray(v)) for (const x of v) out.append(k, x);
    else if (v !== undefined) out.set(k, v);
  }
  return out;
}

export interface HttpClient {
  request(url: string, opts?: RequestOptions): Promise<NetResult>;
  /** Requests started (for stats). */
  readonly requests: number;
  /** Abort what is in flight and close the pools. */
  close(): Promise<void>;
}

const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;
const REDIRECTS: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);

export function createHttpClient(opts: HttpClientOptions): HttpClient {
  return new UndiciClient(opts);
}

class UndiciClient implements HttpClient {
  private readonly agent: Agent;
  private readonly maxRedirects: number;
  private readonly base: Record<string, string>;
  // Every request in flight listens here (removed when it settles): many at once is expected.
  private readonly stop = new AbortController();
  requests = 0;

  constructor(private readonly opts: HttpClientOptions) {
    setMaxListeners(0, this.stop.signal);
    this.agent = new Agent({ connections: opts.connectionsPerOrigin ?? 8, keepAliveTimeout: 10_000 });
    this.maxRedirects = opts.maxRedirects ?? 0;
    // gzip/br unless the owner set its own accept-encoding; bodies are decoded while read (decode.ts).
    this.base = { 'user-agent': opts.userAgent, 'accept-encoding': ACCEPT_ENCODING, ...opts.headers };
  }

  async request(url: string, r: RequestOptions = {}): Promise<NetResult> {
    // One controller per request, tied to the caller's and the client's signals by listeners
    // removed in `finally`: AbortSignal.any() would keep a reference from the long-lived signal
    // to every request's combined signal on Node 20 (bytes per request that GC never frees).
    const request = new AbortController();
    let timedOut = false;
    const onStop = (): void => request.abort();
    const timer = setTimeout(() => {
      timedOut = true;
      request.abort();
    }, r.timeoutMs ?? this.opts.timeoutMs);
    r.signal?.addEventListener('abort', onStop, { once: true });
    this.stop.signal.addEventListener('abort', onStop, { once: true });
    if (r.signal?.aborted === true) request.abort();
    const why = (): NetFailReason => (timedOut ? 'timeout' : request.signal.aborted ? 'aborted' : 'network');
    this.requests++;
    try {
      return await this.exchange(url, r, request.signal, why);
    } finally {
      clearTimeout(timer);
      r.signal?.removeEventListener('abort', onStop);
      this.stop.signal.removeEventListener('abort', onStop);
    }
  }

  private async exchange(url: string, r: RequestOptions, signal: AbortSignal, why: () => NetFailReason): Promise<NetResult> {
    let at = url;
    for (let hop = 0; ; hop++) {
      let res: Dispatcher.ResponseData;
      try {
        const u = new URL(at);
        res = await this.agent.request({
          origin: u.origin,
          path: u.pathname + u.search,
          method: r.method ?? 'GET',
          headers: r.headers ? { ...this.base, ...r.headers } : this.base,
          body: r.body ?? null,
          signal,
        });
      } catch (err) {
        return fail(why(), 0, describe(err));
      }
      // Redirects are followed here rather than by an interceptor so the final URL is known.
      const location = REDIRECTS.has(res.statusCode) ? headerValue(res.headers, 'location') : undefined;
      if (location === undefined || hop >= this.maxRedirects || (r.method ?? 'GET') !== 'GET') {
        return readBody(res, at, r.maxBytes ?? this.opts.maxBytes ?? DEFAULT_MAX_BYTES, signal, why);
      }
      discard(res.body);
      at = new URL(location, at).toString();
    }
  }

  async close(): Promise<void> {
    this.stop.abort();
    await this.agent.close().catch((err: unknown) => err);
  }
}

async function readBody(
  res: Dispatcher.ResponseData,
  url: string,
  maxBytes: number,
  signal: AbortSignal,
  why: () => NetFailReason,
): Promise<NetResult> {
  const status = res.statusCode;
  const declared = declaredLength(res.headers);
  if (declared !== undefined && declared > maxBytes) {
    discard(res.body);
    return fail('too_large', status, `content-length ${declared} > ${maxBytes}`);
  }
  const decoded = decodedBody(res.body, res.headers);
  const source = decoded ?? res.body;
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of source) {
      const c = chunk as Buffer;
      total += c.byteLength;
      if (total > maxBytes) {
        if (decoded !== undefined) decoded.destroy();
        discard(res.body);
        return fail('too_large', status, `${decoded !== undefined ? 'decoded ' : ''}body over ${maxBytes} bytes`);
      }
      chunks.push(c);
    }
  } catch (err) {
    // undici errors the body when the socket closes before the declared length or last chunk;
    // zlib errors a compressed stream that ends early or is corrupt.
    return fail(signal.aborted ? why() : 'truncated', status, describe(err));
  }
  if (declared !== undefined && total !== declared) return fail('truncated', status, `got ${total} of ${declared} bytes`);
  const body = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, total);
  return { ok: true, status, headers: decoded !== undefined ? decodedHeaders(res.headers) : res.headers, body, url };
}

/**
 * Drop an unread body now so the socket is closed or reused instead of held until GC. undici
 * errors a body destroyed early (RequestAbortedError): nobody reads it, so the error is ignored.
 */
function discard(body: Dispatcher.ResponseData['body']): void {
  body.on('error', () => undefined);
  body.destroy();
}

/** content-length describes the encoded bytes; only compare it when nothing was encoded. */
function declaredLength(headers: NetHeaders): number | undefined {
  const enc = headerValue(headers, 'content-encoding');
  if (enc !== undefined && enc !== '' && enc !== 'identity') return undefined;
  const raw = headerValue(headers, 'content-length');
  if (raw === undefined || !/^\d+$/.test(raw)) return undefined;
  return Number(raw);
}

function fail(reason: NetFailReason, status: number, message: string): NetResult {
  return { ok: false, reason, status, message };
}

export function describe(err: unknown): string {
  if (err instanceof Error) {
    const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
    return `${err.message}${cause}`;
  }
  return String(err);
}
