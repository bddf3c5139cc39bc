// Response-header parsing shared by every outbound caller (feeds, ESI, the zKB API).

/** Retry-After as delta seconds or an HTTP date → ms from `nowMs`; undefined when absent or invalid. */
export function parseRetryAfterMs(value: string | null | undefined, nowMs: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/** `Cache-Control: max-age=N` → N × 1000; undefined when absent, or 0 for no-store/no-cache. */
export function maxAgeMs(cacheControl: string | null | undefined): number | undefined {
  if (cacheControl === null || cacheControl === undefined) return undefined;
  if (/(^|[,\s])(no-store|no-cache)\b/i.test(cacheControl)) return 0;
  const m = /(?:^|[,\s])max-age\s*=\s*"?(\d{1,10})"?/i.exec(cacheControl);
  return m ? Number(m[1]) * 1000 : undefined;
}

/** One header value from undici's header record (a repeated header → its first value). */
export function headerValue(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}
