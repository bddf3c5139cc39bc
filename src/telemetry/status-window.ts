// The status report's figures for one window (the time since the previous report), read from
// the registry's collected values: counter differences become rates, the main thread's HDR
// histograms give the window's exact percentiles (current minus a copy taken at the window's
// start), worker histograms give bucket-interpolated ones.
import type { Counters } from './counters.js';
import type { Collected, Exposition } from './exposition.js';
import { BUCKET_BOUNDS_US, type LatencyHistogram } from './histogram.js';
import type { MetricName } from './metrics/index.js';
import type { ProcessMonitor } from './status-report.js';

export interface Percentiles {
  count: number;
  p50_ms: number;
  p95_ms: number;
  p99_ms: number;
}

export type WindowFigures = Record<'api' | 'processing' | 'cache' | 'system', Record<string, unknown>> & { window_seconds: number };

const round = (v: number, digits = 2): number => Math.round(v * 10 ** digits) / 10 ** digits;

export class StatusWindow {
  private startedMs = Date.now();
  private cpu = process.cpuUsage();
  private previous: Map<string, number>;
  private readonly copies = new Map<LatencyHistogram, LatencyHistogram>();
  private previousBuckets = new Map<string, number[]>();

  constructor(
    private readonly counters: Counters,
    private readonly exposition: Exposition,
    private readonly monitor: ProcessMonitor,
  ) {
    const c = exposition.collect();
    this.previous = totalsOf(c);
    this.previousBuckets = bucketsOf(c);
    this.copyHistograms();
  }

  /** The figures since the previous call (or construction); starts the next window. */
  take(): WindowFigures {
    const nowMs = Date.now();
    const seconds = Math.max(0.001, (nowMs - this.startedMs) / 1000);
    const c = this.exposition.collect();
    const totals = totalsOf(c);
    const buckets = bucketsOf(c);
    const d = (name: MetricName, match: (labels: string) => boolean = () => true): number => {
      let sum = 0;
      for (const [id, v] of totals) {
        const bar = id.indexOf('|');
        if (id.slice(0, bar) === name && match(id.slice(bar + 1))) sum += v - (this.previous.get(id) ?? 0);
      }
      return sum;
    };
    const perMin = (n: number): number => round((n * 60) / seconds, 1);
    const hdr = (name: MetricName): Percentiles => this.windowPercentiles(name);
    const fromBuckets = (name: MetricName): Percentiles => bucketPercentiles(name, buckets, this.previousBuckets);
    const cpu = process.cpuUsage(this.cpu);
    const proc = this.monitor.snapshot();

    const requests = d('wkills_http_requests_total');
    const errors = d('wkills_http_requests_total', (l) => /\u00015\d\d$/.test(l));
    const stored = d('wkills_ingest_stored_total');
    const failed = d('wkills_ingest_failed_total');
    const parsed = d('wkills_pipeline_parsed_total');
    const workerFailed = d('wkills_pipeline_failed_total');
    const hits = d('wkills_enrich_cache_hits_total');
    const misses = d('wkills_enrich_cache_misses_total');
    const esi = d('wkills_esi_requests_total');
    const figures: WindowFigures = {
      window_seconds: round(seconds, 1),
      api: {
        requests,
        requests_per_minute: perMin(requests),
        errors_5xx: errors,
        error_rate: requests === 0 ? 0 : round(errors / requests, 4),
        latency: hdr('wkills_http_request_duration_seconds'),
      },
      processing: {
        feed_received: d('wkills_feed_entries_received_total'),
        feed_errors: d('wkills_feed_errors_total'),
        kills_stored: stored,
        stored_per_minute: perMin(stored),
        failed,
        failures_by_reason: byLabel(c, totals, this.previous, 'wkills_ingest_failures_total'),
        parser_success_rate: parsed + workerFailed === 0 ? null : round(parsed / (parsed + workerFailed), 4),
        feed_lag_seconds: gaugeOf(c, 'wkills_feed_last_entry_age_seconds'),
        queue_entries: gaugeOf(c, 'wkills_pipeline_queue_entries'),
        ingest_to_stored: hdr('wkills_ingest_to_stored_seconds'),
        ingest_to_broadcast: hdr('wkills_ingest_to_broadcast_seconds'),
        worker_task: hdr('wkills_worker_task_seconds'),
      },
      cache: {
        name_lookups: hits + misses,
        name_hit_rate: hits + misses === 0 ? null : round(hits / (hits + misses), 4),
        lookups_per_minute: perMin(hits + misses),
        esi_requests: esi,
        esi_requests_per_minute: perMin(esi),
        esi_latency: fromBuckets('wkills_esi_request_duration_seconds'),
        esi_http_cache_hits: d('wkills_esi_http_cache_total'),
      },
      system: {
        rss_mb: proc.rss_mb,
        heap_used_mb: proc.heap_used_mb,
        cpu_percent: round(((cpu.user + cpu.system) / 1000 / (seconds * 1000)) * 100, 1),
        event_loop_lag_p50_ms: proc.event_loop_lag_p50_ms,
        event_loop_lag_p99_ms: proc.event_loop_lag_p99_ms,
        event_loop_lag_max_ms: proc.event_loop_lag_max_ms,
        gc_collections: proc.gc_collections,
        gc_pause_ms: proc.gc_pause_ms,
        ws_connections: gaugeOf(c, 'wkills_ws_connections'),
        connections: connectionsOf(c),
        ws_kills_sent: d('wkills_ws_kills_sent_total'),
        ws_send: hdr('wkills_ws_broadcast_send_seconds'),
        slow_consumer_drops: d('wkills_ws_dropped_total', (l) => l === 'slow_consumer'),
        uptime_seconds: proc.uptime_seconds,
      },
    };
    this.startedMs = nowMs;
    this.cpu = process.cpuUsage();
    this.previous = totals;
    this.previousBuckets = buckets;
    this.copyHistograms();
    return figures;
  }

  /** All series of a main-thread histogram family merged over the window, exact (HDR). */
  private windowPercentiles(name: MetricName): Percentiles {
    let merged: LatencyHistogram | undefined;
    for (const s of this.counters.histogramsOfFamily(name)) {
      const before = this.copies.get(s.item);
      const w = before ? s.item.since(before) : s.item.copy();
      if (merged) {
        merged.addEncoded(w.encode());
        w.destroy();
      } else merged = w;
    }
    if (!merged) return { count: 0, p50_ms: 0, p95_ms: 0, p99_ms: 0 };
    const s = merged.summary();
    merged.destroy();
    return { count: s.count, p50_ms: s.p50 / 1000, p95_ms: s.p95 / 1000, p99_ms: s.p99 / 1000 };
  }

  private copyHistograms(): void {
    for (const copy of this.copies.values()) copy.destroy();
    this.copies.clear();
    for (const family of this.counters.registry.families.values()) {
      if (family.type !== 'histogram') continue;
      for (const s of this.counters.histogramsOfFamily(family.name)) this.copies.set(s.item, s.item.copy());
    }
  }

  destroy(): void {
    for (const copy of this.copies.values()) copy.destroy();
    this.copies.clear();
  }
}

function totalsOf(c: Collected): Map<string, number> {
  const out = new Map<string, number>();
  for (const [name, f] of c) for (const v of f.values) out.set(`${name}|${Object.values(v.labels).join('\u0001')}`, v.value);
  return out;
}

function bucketsOf(c: Collected): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const [name, f] of c) {
    if (f.family.type !== 'histogram') continue;
    const sum = new Array<number>(BUCKET_BOUNDS_US.length + 1).fill(0);
    for (const h of f.histograms) h.buckets.forEach((n, i) => (sum[i] = (sum[i] ?? 0) + n));
    out.set(name, sum);
  }
  return out;
}

function gaugeOf(c: Collected, name: MetricName): number | null {
  const values = c.get(name)?.values ?? [];
  return values.length === 0 ? null : round(Math.max(...values.map((v) => v.value)));
}

/** Open connections by channel: WebSocket lobby / firehose subscriptions and SSE streams. */
function connectionsOf(c: Collected): Record<string, number> {
  const out: Record<string, number> = {
    websocket: gaugeOf(c, 'wkills_ws_connections') ?? 0,
    sse: gaugeOf(c, 'wkills_sse_connections') ?? 0,
  };
  for (const v of c.get('wkills_ws_subscriptions')?.values ?? []) out[`ws_${v.labels.channel ?? ''}`] = v.value;
  return out;
}

function byLabel(c: Collected, now: Map<string, number>, before: Map<string, number>, name: MetricName): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of c.get(name)?.values ?? []) {
    const id = `${name}|${Object.values(v.labels).join('\u0001')}`;
    const n = (now.get(id) ?? 0) - (before.get(id) ?? 0);
    if (n > 0) out[Object.values(v.labels).join(',')] = n;
  }
  return out;
}

/** Prometheus-style interpolation inside the bucket that holds the rank (worker histograms). */
function bucketPercentiles(name: string, now: Map<string, number[]>, before: Map<string, number[]>): Percentiles {
  const cur = now.get(name) ?? [];
  const prev = before.get(name) ?? [];
  const w = cur.map((n, i) => n - (prev[i] ?? 0));
  const count = w.reduce((a, b) => a + b, 0);
  const q = (p: number): number => {
    if (count === 0) return 0;
    const rank = p * count;
    let seen = 0;
    for (let i = 0; i < w.length; i++) {
      const n = w[i] as number;
      if (seen + n >= rank && n > 0) {
        const lo = i === 0 ? 0 : (BUCKET_BOUNDS_US[i - 1] as number);
        const hi = BUCKET_BOUNDS_US[i] ?? lo;
        return round((lo + ((hi - lo) * (rank - seen)) / n) / 1000, 3);
      }
      seen += n;
    }
    return round((BUCKET_BOUNDS_US[BUCKET_BOUNDS_US.length - 1] as number) / 1000, 3);
  };
  return { count, p50_ms: q(0.5), p95_ms: q(0.95), p99_ms: q(0.99) };
}

const ms = (p: Percentiles | undefined): string =>
  p && p.count > 0 ? `p95 ${round(p.p95_ms)} ms, p99 ${round(p.p99_ms)} ms` : 'no samples';
const pct = (v: unknown): string => (typeof v === 'number' ? `${round(v * 100, 1)}%` : 'n/a');

/** Four short lines a person reads: API, processing, cache, system. */
export function windowSummary(f: WindowFigures): string {
  const {
    api: a,
    processing: p,
    cache: c,
    system: s,
  } = f as unknown as Record<'api' | 'processing' | 'cache' | 'system', Record<string, never>>;
  const lines = [
    `status over the last ${f.window_seconds} s`,
    `API: ${a.requests_per_minute} req/min (${a.requests} requests), ${a.errors_5xx} errors (${pct(a.error_rate)}), ${ms(a.latency)}`,
    `processing: ${p.stored_per_minute} kills/min stored (${p.kills_stored}), ${p.failed} failed, parser success ${pct(p.parser_success_rate)}, feed lag ${p.feed_lag_seconds ?? 'n/a'} s, ingest→stored ${ms(p.ingest_to_stored)}, ingest→broadcast ${ms(p.ingest_to_broadcast)}`,
    `cache: name hit rate ${pct(c.name_hit_rate)} (${c.lookups_per_minute} lookups/min), ESI ${c.esi_requests_per_minute} req/min ${ms(c.esi_latency)}`,
    `system: RSS ${s.rss_mb} MB, heap ${s.heap_used_mb} MB, CPU ${s.cpu_percent}%, event loop p99 ${s.event_loop_lag_p99_ms} ms, GC ${s.gc_collections} collections (${s.gc_pause_ms} ms), ${s.ws_connections ?? 0} WebSocket connections, ${s.slow_consumer_drops} slow-consumer drops`,
  ];
  return lines.join('\n');
}
