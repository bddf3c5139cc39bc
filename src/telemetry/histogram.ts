// HDR latency histograms in integer microseconds. WASM recording is ~5.6x faster than the JS
// build; call initHistograms() once per thread before createHistogram().
import * as hdr from 'hdr-histogram-js';

let wasmReady = false;

export async function initHistograms(): Promise<void> {
  if (wasmReady) return;
  await hdr.initWebAssembly();
  wasmReady = true;
}

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
  }

  summary(): LatencySummary {
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

  /** Merge a histogram encoded by another thread or process (encode()). */
  addEncoded(encoded: string): void {
    const other = hdr.decodeFromCompressedBase64(encoded, 64, wasmReady);
    this.h.add(other);
    other.destroy();
  }

  encode(): string {
    return hdr.encodeIntoCompressedBase64(this.h);
  }

  reset(): void {
    this.h.reset();
  }

  destroy(): void {
    this.h.destroy();
  }
}
