// HDR latency histograms in integer microseconds. WASM recording is ~5.6x faster than the JS
// build; call initHistograms() once per thread before createHistogram().
import * as hdr from 'hdr-histogram-js';

let wasmReady = false;

export async function initHistograms(): Promise<void> {
  if (wasmReady) return;
  await hdr.initWebAssembly();
  wasmReady = true;
}

/**
 * Prometheus bucket bounds (µs) kept beside the HDR counts: HDR gives exact percentiles in one
 * process, fixed buckets add up across processes and scrapes (histogram_quantile).
 */
export const BUCKET_BOUNDS_US: readonly number[] = [
  100, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000, 2_500_000, 5_000_000, 10_000_000,
  30_000_000,
];

export interface LatencySummary {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
}

export class LatencyHistogram {
  private readonly h: hdr.Histogram;
  /** Per-bucket (not cumulative) counts; the last slot is +Inf. */
  readonly buckets = new Float64Array(BUCKET_BOUNDS_US.length + 1);
  sumUs = 0;
  /** summary() walks the HDR counts once per percentile (~2 ms): reused until the next record. */
  private cached: LatencySummary | undefined;

  constructor(highestUs = 60_000_000) {
    this.h = hdr.build({
      bitBucketSize: 64,
      lowestDiscernibleValue: 1,
      highestTrackableValue: highestUs,
      numberOfSignificantValueDigits: 3,
      useWebAssembly: wasmReady,
    });
  }

  /** Record one latency in integer µs; values past the top are clamped, not dropped. */
  recordUs(us: number): void {
    const v = us < 1 ? 1 : us > this.h.highestTrackableValue ? this.h.highestTrackableValue : Math.round(us);
    this.h.recordValue(v);
    this.cached = undefined;
    this.sumUs += v;
    let i = 0;
    while (i < BUCKET_BOUNDS_US.length && v > (BUCKET_BOUNDS_US[i] as number)) i++;
    (this.buckets[i] as number)++;
  }

  /** A copy of the HDR counts, for a window: later `windowSince(copy)` gives what came after. */
  copy(): LatencyHistogram {
    const c = new LatencyHistogram(this.h.highestTrackableValue);
    c.h.add(this.h);
    c.buckets.set(this.buckets);
    c.sumUs = this.sumUs;
    return c;
  }

  /** This histogram minus an earlier copy of it: the values recorded since (a new histogram). */
  since(earlier: LatencyHistogram): LatencyHistogram {
    const c = this.copy();
    c.h.subtract(earlier.h);
    c.cached = undefined;
    for (let i = 0; i < c.buckets.length; i++) (c.buckets[i] as number) -= earlier.buckets[i] as number;
    c.sumUs -= earlier.sumUs;
    return c;
  }

  summary(): LatencySummary {
    return (this.cached ??= this.compute());
  }

  /** Values recorded (cheap, unlike summary()). */
  get count(): number {
    return this.h.totalCount;
  }

  private compute(): LatencySummary {
    const h = this.h;
    return {
      count: h.totalCount,
      p50: h.getValueAtPercentile(50),
      p95: h.getValueAtPercentile(95),
      p99: h.getValueAtPercentile(99),
      p999: h.getValueAtPercentile(99.9),
      max: h.maxValue,
      mean: Math.round(h.mean),
    };
  }

  /** Merge a histogram encoded by another thread or process (encode()): HDR counts only, for percentiles. */
  addEncoded(encoded: string): void {
    const other = hdr.decodeFromCompressedBase64(encoded, 64, wasmReady);
    this.h.add(other);
    this.cached = undefined;
    other.destroy();
  }

  encode(): string {
    return hdr.encodeIntoCompressedBase64(this.h);
  }

  reset(): void {
    this.h.reset();
    this.cached = undefined;
    this.buckets.fill(0);
    this.sumUs = 0;
  }

  destroy(): void {
    this.h.destroy();
  }
}
