// One scrape of every declared family: the main thread's counters and histograms, the worker
// threads' snapshots (summed) and the gauges the stages compute on demand. prom-client formats
// the Prometheus text (HELP, TYPE, escaping) and adds its standard process_* / nodejs_* families;
// the JSON /metrics and the status report read the same collected values.
import { Registry, collectDefaultMetrics, type Metric } from 'prom-client';
import type { Counters } from './counters.js';
import { BUCKET_BOUNDS_US, type LatencySummary } from './histogram.js';
import { METRICS, type MetricName } from './metrics/index.js';
import type { Family, MetricRegistry, Resolved } from './registry.js';
import { mergeWorkerHistograms, type HistogramData } from './worker-histograms.js';

/** Gauge values computed at scrape time: a number, or one number per label-value list. */
export type GaugeReadings = Partial<Record<MetricName, number | readonly (readonly [readonly string[], number])[]>>;

export interface ExpositionSources {
  counters: Counters;
  /** Each worker thread's latest snapshot (dotted names plus histogram fields). */
  workerSnapshots?: () => readonly Record<string, number>[];
  gauges?: () => GaugeReadings;
  /** prom-client's process_* and nodejs_* families (default on). */
  defaultMetrics?: boolean;
}

export interface SeriesValue {
  labels: Record<string, string>;
  value: number;
}

export interface CollectedFamily {
  family: Family;
  values: SeriesValue[];
  histograms: HistogramData[];
}

export type Collected = Map<string, CollectedFamily>;

const SEP = '\u0001';
const MISNAMED_DEFAULTS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

export class Exposition {
  readonly prom = new Registry();
  private current: Collected = new Map();
  private readonly resolved = new Map<string, Resolved | null>();

  constructor(
    private readonly sources: ExpositionSources,
    private readonly registry: MetricRegistry = METRICS,
  ) {
    if (sources.defaultMetrics !== false) {
      collectDefaultMetrics({ register: this.prom });
      // prom-client names these gauges `_total`, which promtool (rightly) flags: counts of live
      // handles are not counters. nodejs_active_*  without the suffix are not offered, so drop them.
      for (const name of MISNAMED_DEFAULTS) this.prom.removeSingleMetric(name);
    }
    for (const family of registry.families.values()) {
      const metric = {
        name: family.name,
        help: family.help,
        type: family.type,
        aggregator: 'sum',
        get: () => this.promValues(family),
        reset: () => undefined,
      };
      this.prom.registerMetric(metric as unknown as Metric);
    }
  }

  /** Read every source once; the text and JSON renderings then use this snapshot. */
  collect(): Collected {
    const out: Collected = new Map();
    for (const family of this.registry.families.values()) out.set(family.name, { family, values: [], histograms: [] });
    const { counters } = this.sources;
    const add = (name: string, labelValues: readonly string[], value: number): void => {
      const c = out.get(name) as CollectedFamily;
      const labels = labelsOf(c.family, labelValues);
      const existing = c.values.find((v) => sameLabels(v.labels, labels));
      if (existing) existing.value += value;
      else c.values.push({ labels, value });
    };
    for (const c of out.values()) {
      for (const s of counters.seriesOfFamily(c.family.name)) add(c.family.name, s.labels, s.item.value);
      for (const s of counters.histogramsOfFamily(c.family.name)) c.histograms.push(histogramOf(c.family, s.labels, s.item));
    }
    const snapshots = this.sources.workerSnapshots?.() ?? [];
    for (const snap of snapshots) {
      for (const [key, value] of Object.entries(snap)) {
        if (key.startsWith('~h')) continue;
        const r = this.resolveCached(key);
        if (r) add(r.family.name, r.labelValues, value);
      }
    }
    for (const h of mergeWorkerHistograms(snapshots)) {
      const c = out.get(h.family);
      if (c?.family.type === 'histogram') c.histograms.push({ ...h, labels: labelsOf(c.family, h.labelValues) });
    }
    for (const [name, reading] of Object.entries(this.sources.gauges?.() ?? {})) {
      if (!out.has(name)) throw new Error(`gauge ${name} is not declared in src/telemetry/metrics`);
      if (typeof reading === 'number') add(name, [], reading);
      else for (const [labels, v] of reading ?? []) add(name, labels, v);
    }
    for (const c of out.values())
      if (c.family.labels.length === 0 && c.values.length === 0 && c.family.type !== 'histogram') c.values.push({ labels: {}, value: 0 });
    this.current = out;
    return out;
  }

  /** Worker snapshots may carry fields other than metrics; an unknown dotted name is still an error. */
  private resolveCached(key: string): Resolved | null {
    let r = this.resolved.get(key);
    if (r === undefined) {
      r = this.registry.resolve(key);
      this.resolved.set(key, r);
    }
    return r;
  }

  async text(): Promise<string> {
    this.collect();
    return this.prom.metrics();
  }

  get contentType(): string {
    return this.prom.contentType;
  }

  /** The same scrape as JSON: every family with its type, unit, help and values. */
  json(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [name, c] of this.collect()) {
      const { type, unit, help } = c.family;
      if (type === 'histogram')
        out[name] = { type, unit, help, series: c.histograms.map((h) => ({ labels: h.labels, ...secondsSummary(h) })) };
      else out[name] = { type, unit, help, series: c.values };
    }
    return out;
  }

  private promValues(family: Family): { name: string; help: string; type: string; aggregator: string; values: unknown[] } {
    const c = this.current.get(family.name);
    const values: unknown[] = [];
    if (family.type !== 'histogram') for (const v of c?.values ?? []) values.push({ labels: v.labels, value: v.value });
    else for (const h of c?.histograms ?? []) pushHistogram(values, family.name, h);
    return { name: family.name, help: family.help, type: family.type, aggregator: 'sum', values };
  }
}

function labelsOf(family: Family, values: readonly string[]): Record<string, string> {
  const labels: Record<string, string> = {};
  family.labels.forEach((l, i) => (labels[l] = values[i] ?? ''));
  return labels;
}

function sameLabels(a: Record<string, string>, b: Record<string, string>): boolean {
  for (const k in a) if (a[k] !== b[k]) return false;
  return true;
}

function histogramOf(family: Family, labelValues: readonly string[], h: import('./histogram.js').LatencyHistogram): HistogramData {
  return {
    family: family.name,
    labelValues,
    labels: labelsOf(family, labelValues),
    buckets: Array.from(h.buckets),
    sumUs: h.sumUs,
    get summary() {
      return h.summary();
    },
  };
}

function pushHistogram(values: unknown[], name: string, h: HistogramData): void {
  let cumulative = 0;
  BUCKET_BOUNDS_US.forEach((bound, i) => {
    cumulative += h.buckets[i] ?? 0;
    values.push({ metricName: `${name}_bucket`, labels: { ...h.labels, le: String(bound / 1e6) }, value: cumulative });
  });
  cumulative += h.buckets[BUCKET_BOUNDS_US.length] ?? 0;
  values.push({ metricName: `${name}_bucket`, labels: { ...h.labels, le: '+Inf' }, value: cumulative });
  values.push({ metricName: `${name}_sum`, labels: h.labels, value: h.sumUs / 1e6 });
  values.push({ metricName: `${name}_count`, labels: h.labels, value: cumulative });
}

/** HDR percentiles in seconds for JSON readers (µs stay the recording unit). */
export function secondsSummary(h: { summary: LatencySummary; sumUs: number }): Record<string, number> {
  const s = h.summary;
  const sec = (us: number): number => us / 1e6;
  return {
    count: s.count,
    sum: sec(h.sumUs),
    p50: sec(s.p50),
    p95: sec(s.p95),
    p99: sec(s.p99),
    p999: sec(s.p999),
    max: sec(s.max),
    mean: sec(s.mean),
  };
}

export { SEP as LABEL_SEPARATOR };
