// Per-route latency (HDR histograms, integer µs) and status counters. Recording is a Map-free
// path: each route holds its own recorder object, created at registration.
import { Counters, LatencyHistogram, initHistograms, type LatencySummary } from '../telemetry/index.js';
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

  constructor(
    readonly route: string,
    private readonly metrics: HttpMetrics,
  ) {}

  record(status: number, latencyUs: number): void {
    this.hist?.recordUs(latencyUs);
    this.metrics.onResponse(status);
  }

  aborted(): void {
    this.metrics.counters.inc('http.aborted');
  }

  backpressured(): void {
    this.metrics.counters.inc('http.stream.backpressure');
  }

  skipped(reason: 'after_abort' | 'already_sent'): void {
    this.metrics.counters.inc(reason === 'after_abort' ? 'http.write_skipped.after_abort' : 'http.write_skipped.already_sent');
  }
}

export class HttpMetrics {
  private readonly recorders = new Map<string, RouteRecorder>();
  private readonly statusNames = new Map<number, string>();
  private ready = false;

  constructor(readonly counters: Counters) {}

  /** Histograms need the WASM build loaded first (initHistograms); until start() none record. */
  async start(): Promise<void> {
    await initHistograms();
    this.ready = true;
    for (const r of this.recorders.values()) r.hist ??= new LatencyHistogram();
  }

  recorder(route: string): ResponseRecorder {
    let r = this.recorders.get(route);
    if (!r) {
      r = new RouteRecorder(route, this);
      if (this.ready) r.hist = new LatencyHistogram();
      this.recorders.set(route, r);
    }
    return r;
  }

  onResponse(status: number): void {
    let name = this.statusNames.get(status);
    if (name === undefined) {
      name = `http.status.${status}`;
      this.statusNames.set(status, name);
    }
    this.counters.inc('http.requests');
    this.counters.inc(name);
  }

  stats(): HttpStats {
    const byStatus: Record<string, number> = {};
    for (const [status, name] of this.statusNames) byStatus[String(status)] = this.counters.get(name);
    const routes: RouteStats[] = [];
    for (const r of this.recorders.values()) {
      const summary = r.hist?.summary();
      if (summary && summary.count > 0) routes.push({ route: r.route, ...summary });
    }
    return { requests: this.counters.get('http.requests'), aborted: this.counters.get('http.aborted'), byStatus, routes };
  }

  destroy(): void {
    for (const r of this.recorders.values()) r.hist?.destroy();
    this.ready = false;
    for (const r of this.recorders.values()) r.hist = undefined;
  }
}
