// Pure helpers of the R2Z2 reader: the sequence.json control file and the search for the
// oldest sequence still published after a gap.

/**
 * `{"sequence": N}` → N, or undefined when the body is not that shape. This is the one
 * JSON.parse in the feeds: a tiny zKillboard control file, never a killmail.
 */
export function parseSequence(body: Uint8Array): number | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
  } catch {
    // Not JSON: the caller counts `error.bad_sequence` for any undefined result.
    return undefined;
  }
  const n = (doc as { sequence?: unknown } | null)?.sequence;
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

/**
 * The smallest k in [lo, hi] that `exists(k)`, assuming existence is monotonic over the range
 * (ephemeral files expire from the oldest end; a single hole also fits: everything after it
 * exists). `hi` itself is assumed published (sequence.json lags the real tip). Costs about
 * log2(hi - lo) probes; returns undefined when a probe fails (retry later).
 */
export async function findOldestAvailable(
  lo: number,
  hi: number,
  exists: (seq: number) => Promise<boolean | undefined>,
): Promise<number | undefined> {
  while (lo < hi) {
    const mid = lo + Math.floor((hi - lo) / 2);
    const found = await exists(mid);
    if (found === undefined) return undefined;
    if (found) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
