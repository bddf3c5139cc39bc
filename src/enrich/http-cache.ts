// ETag/Expires bookkeeping per URL: before Expires the stored
// body is the answer and no request is sent; after it, the next request carries If-None-Match
// and a 304 reuses the body. Rows can be persisted through an optional store (esi_http_cache),
// so a restarted worker still revalidates instead of downloading again.
import { Lru } from './lru.js';

/** One esi_http_cache row (column names as in the table). */
export interface HttpCacheRow {
  url: string;
  etag: string | null;
  expires_at_ms: number;
  body: string;
}

export interface HttpCacheStore {
  get(url: string): HttpCacheRow | undefined;
  set(row: HttpCacheRow): void;
}

interface Entry {
  persist: boolean;
  etag: string | null;
  expiresAtMs: number;
  body: string;
  parsed: unknown;
}

export class HttpCache {
  private readonly entries: Lru<string, Entry>;
  corruptRows = 0;

  constructor(
    maxEntries: number,
    private readonly backing: HttpCacheStore | undefined,
  ) {
    this.entries = new Lru(maxEntries);
  }

  get size(): number {
    return this.entries.size;
  }

  /** The parsed body when the URL has not expired yet. */
  fresh(url: string, nowMs: number): unknown {
    const e = this.lookup(url);
    return e !== undefined && e.expiresAtMs > nowMs ? e.parsed : undefined;
  }

  /** The expired entry to revalidate with If-None-Match. */
  stale(url: string): { etag: string | null; parsed: unknown } | undefined {
    return this.lookup(url);
  }

  /** `persist`: also hand the row to the store (worth it only for data that expires and revalidates). */
  store(url: string, headers: Headers, body: string, parsed: unknown, nowMs: number, persist: boolean): void {
    const etag = headers.get('etag');
    const expiresAtMs = expiryMs(headers, nowMs);
    // Without either header there is nothing to honour or revalidate: keep nothing.
    if (etag === null && expiresAtMs <= nowMs) return;
    this.entries.set(url, { etag, expiresAtMs, body, parsed, persist });
    if (persist) this.backing?.set({ url, etag, expires_at_ms: expiresAtMs, body });
  }

  revalidated(url: string, headers: Headers, nowMs: number): void {
    const e = this.entries.get(url);
    if (e === undefined) return;
    e.expiresAtMs = expiryMs(headers, nowMs);
    const etag = headers.get('etag');
    if (etag !== null) e.etag = etag;
    if (e.persist) this.backing?.set({ url, etag: e.etag, expires_at_ms: e.expiresAtMs, body: e.body });
  }

  private lookup(url: string): Entry | undefined {
    const e = this.entries.get(url);
    if (e !== undefined || this.backing === undefined) return e;
    const row = this.backing.get(url);
    if (row === undefined) return undefined;
    let parsed: unknown;
    try {
      parsed = JSON.parse(row.body);
    } catch {
      // A corrupt persisted row is counted and ignored: the request goes out unconditionally.
      this.corruptRows++;
      return undefined;
    }
    const entry = { persist: true, etag: row.etag, expiresAtMs: row.expires_at_ms, body: row.body, parsed };
    this.entries.set(url, entry);
    return entry;
  }
}

/**
 * Expires relative to the server's own Date header when present, so a skewed clock on either
 * side neither re-requests early nor trusts a stale body too long.
 */
export function expiryMs(headers: Headers, nowMs: number): number {
  const expires = headers.get('expires');
  if (expires === null) return 0;
  const at = Date.parse(expires);
  if (Number.isNaN(at)) return 0;
  const date = headers.get('date');
  const serverNow = date === null ? Number.NaN : Date.parse(date);
  return Number.isNaN(serverNow) ? at : nowMs + (at - serverNow);
}
