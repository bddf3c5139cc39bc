// HTTP header parsing shared by the stages that call out (feeds, enrich).

/** Retry-After as delta seconds or an HTTP date → ms from `nowMs`; undefined when absent or invalid. */
export function parseRetryAfterMs(value: string | null, nowMs: number): number | undefined {
  if (value === null) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}
