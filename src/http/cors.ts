// CORS (docs/API.md#envelopes: configurable allow-list, default "*") and request ids. Both are computed once
// per request from headers copied out of the stack-allocated uWS HttpRequest.

export interface CorsPolicy {
  readonly any: boolean;
  readonly origins: ReadonlySet<string>;
}

/** config.corsOrigins: "*" or a comma-separated list of exact origins ("https://a.example"). */
export function parseCors(text: string): CorsPolicy {
  const items = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (items.includes('*')) return { any: true, origins: new Set() };
  return { any: false, origins: new Set(items.map((s) => s.replace(/\/+$/, ''))) };
}

/** [allow-origin value ('' for none), whether the value varies with Origin]. */
export function corsFor(policy: CorsPolicy, origin: string): readonly [string, boolean] {
  if (policy.any) return ANY;
  if (origin !== '' && policy.origins.has(origin)) return [origin, true];
  return NONE_VARY;
}

const ANY = ['*', false] as const;
const NONE_VARY = ['', true] as const;

const REQUEST_HEADERS_OK = /^[A-Za-z0-9\-_, ]{1,256}$/;
const DEFAULT_ALLOW_HEADERS = 'content-type, x-request-id';

/** Access-Control-Allow-Headers for a preflight: the requested list when it is plain header names. */
export function allowHeadersFor(requested: string): string {
  return requested !== '' && REQUEST_HEADERS_OK.test(requested) ? requested : DEFAULT_ALLOW_HEADERS;
}

const REQUEST_ID_OK = /^[A-Za-z0-9\-_.]{1,128}$/;
// Unique per process run: start time and pid in base 36, then a counter. Cheaper than
// randomUUID (no crypto, one short string concat) and still unique across restarts.
const ID_PREFIX = Date.now().toString(36) + process.pid.toString(36) + '-';
let idSeq = 0;

/** Echo a sane incoming x-request-id, else generate one. */
export function requestIdFor(incoming: string): string {
  if (incoming !== '' && REQUEST_ID_OK.test(incoming)) return incoming;
  idSeq++;
  return ID_PREFIX + idSeq.toString(36);
}
