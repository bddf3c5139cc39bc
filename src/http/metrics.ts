// Per-route latency (HDR histograms, integer µs) and (route, status) counters. Recording is a
// Map-free path for the latency: each route holds its own recorder object, created at registration.
import { Counters, LatencyHistogram, initHistograms, type Cell, type LatencySummary } from '../telemetry/index.js';
import type { ResponseRecorder } from './respond.js';

export interface RouteStats extends LatencySummary {
  route: string;
}

export interface HttpStats {
  requests: number;
  aborted: number;
  byStatus: Record<string, number>;
  routes: RouteStats[];
}

class RouteRecorder implements ResponseRecorder {
  hist: LatencyHistogram | undefined;
  /** Status → its (route, status) counter; a route sees a handful of statuses. */
  private readonly statuses = new Map<number, Cell>();

  constructor(
    readonly route: string,
    private readonly metrics: HttpMetrics,
  ) {}

  record(status: number, latencyUs: number): void {
    this.hist?.recordUs(latencyUs);
    let cell = this.statuses.get(status);
    if (cell === undefined) {
      cell = this.metrics.counters.cell('wkills_http_requests_total', [this.route, String(status)]);
      this.statuses.set(status, cell);
    }
    cell.value++;
    this.metrics.requests++;
  }

  aborted(): void {
    this.metrics.counters.inc('http.aborted');
  }

  backpressured(): void {
    this.metrics.counters.inc('http.stream.backpressure');
  }

  skipped(reason: 'after_abort' | 'already_sent'): void {
    this.metrics.counters.inc(`http.write_skipped.${reason}`);
  }
}

export class HttpMetrics {
  private readonly recorders = new Map<string, RouteRecorder>();
  private ready = false;
  /** Requests answered, all routes (the requests-per-minute rate reads it). */
  requests = 0;

  constructor(readonly counters: Counters) {}

  /** Histograms need the WASM build loaded first (initHistograms); until start() none record. */
  async start(): Promise<void> {
    await initHistograms();
    this.ready = true;
    for (const r of this.recorders.values()) r.hist ??= this.histogram(r.route);
  }

  private histogram(route: string): LatencyHistogram {
    return this.counters.histogram('wkills_http_request_duration_seconds', [route]);
  }

  recorder(route: string): ResponseRecorder {
    let r = this.recorders.get(route);
    if (!r) {
      r = new RouteRecorder(route, this);
      if (this.ready) r.hist = this.histogram(route);
      this.recorders.set(route, r);
    }
    return r;
  }

  stats(): HttpStats {
    const byStatus: Record<string, number> = {};
    for (const s of this.counters.seriesOfFamily('wkills_http_requests_total')) {
      const status = s.labels[1] as string;
      byStatus[status] = (byStatus[status] ?? 0) + s.item.value;
    }
    const routes: RouteStats[] = [];
    for (const r of this.recorders.values()) {
      const summary = r.hist?.summary();
      if (summary && summary.count > 0) routes.push({ route: r.route, ...summary });
    }
    return { requests: this.requests, aborted: this.counters.get('http.aborted'), byStatus, routes };
  }

  /** The histograms belong to the counters (exposition reads them); only stop recording here. */
  destroy(): void {
    this.ready = false;
    for (const r of this.recorders.values()) r.hist = undefined;
  }
}
