// Histograms recorded in worker threads reach the main thread inside the workers' numeric stats
// snapshots (the only channel a reply carries): `~h|family|labels|field` fields hold each bucket,
// the sum, and the worker's own HDR percentiles. The main thread sums buckets across workers
// (exact for Prometheus); percentiles cannot be summed, so the merged figure is the largest
// worker's value, an upper bound.
import { BUCKET_BOUNDS_US, type LatencyHistogram, type LatencySummary } from './histogram.js';
import type { MetricName } from './metrics/index.js';

export interface HistogramData {
  family: string;
  labelValues: readonly string[];
  labels: Record<string, string>;
  /** Per-bucket counts; the last is +Inf. */
  buckets: number[];
  sumUs: number;
  /** HDR percentiles; computed only when read (the Prometheus text does not need them). */
  readonly summary: LatencySummary;
}

const SEP = '\u0001';
const SUMMARY_FIELDS = ['count', 'p50', 'p95', 'p99', 'p999', 'max', 'mean'] as const;

/** Flat numeric fields for one histogram, to merge into a worker's stats snapshot. */
export function histogramFields(family: MetricName, labelValues: readonly string[], h: LatencyHistogram): Record<string, number> {
  const prefix = `~h|${family}|${labelValues.join(SEP)}|`;
  const out: Record<string, number> = {};
  h.buckets.forEach((n, i) => (out[`${prefix}b${i}`] = n));
  out[`${prefix}sum`] = h.sumUs;
  const s = h.summary();
  for (const f of SUMMARY_FIELDS) out[`${prefix}${f}`] = s[f];
  return out;
}

export function mergeWorkerHistograms(snapshots: readonly Record<string, number>[]): HistogramData[] {
  const byId = new Map<string, HistogramData>();
  for (const snap of snapshots) {
    for (const [key, value] of Object.entries(snap)) {
      if (!key.startsWith('~h|')) continue;
      const [, family, labels, field] = key.split('|') as [string, string, string, string];
      const id = `${family}|${labels}`;
      let h = byId.get(id);
      if (!h) {
        const labelValues = labels === '' ? [] : labels.split(SEP);
        h = {
          family,
          labelValues,
          labels: {},
          buckets: new Array<number>(BUCKET_BOUNDS_US.length + 1).fill(0),
          sumUs: 0,
          summary: { count: 0, p50: 0, p95: 0, p99: 0, p999: 0, max: 0, mean: 0 },
        };
        byId.set(id, h);
      }
      mergeField(h, field, value);
    }
  }
  return [...byId.values()];
}

function mergeField(h: HistogramData, field: string, value: number): void {
  if (field.startsWith('b')) h.buckets[Number(field.slice(1))] = (h.buckets[Number(field.slice(1))] ?? 0) + value;
  else if (field === 'sum') h.sumUs += value;
  else if (field === 'count') h.summary.count += value;
  else if (field === 'mean') h.summary.mean = Math.max(h.summary.mean, value);
  else if ((SUMMARY_FIELDS as readonly string[]).includes(field)) {
    const k = field as Exclude<(typeof SUMMARY_FIELDS)[number], 'count' | 'mean'>;
    h.summary[k] = Math.max(h.summary[k], value);
  }
}
