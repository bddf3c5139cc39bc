// The periodic status report: one structured pino record plus a short human summary, every
// `intervalMs`, and the process figures (event-loop lag, memory, GC) it and /status read.
import { monitorEventLoopDelay, PerformanceObserver, type IntervalHistogram } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { windowSummary, type StatusWindow } from './status-window.js';

export type Section = Record<string, unknown>;
export type SnapshotFn = () => Record<string, Section>;

export interface ProcessSection {
  uptime_seconds: number;
  rss_mb: number;
  heap_used_mb: number;
  event_loop_lag_p50_ms: number;
  event_loop_lag_p99_ms: number;
  event_loop_lag_max_ms: number;
  /** Garbage collections of the main thread's heap, and their total pause, in the window. */
  gc_collections: number;
  gc_pause_ms: number;
}

/** Event-loop delay, GC and memory, sampled continuously; read by /status and the report. */
export class ProcessMonitor {
  private readonly loop: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 });
  private readonly startedAtMs = Date.now();
  private gcCount = 0;
  private gcPauseMs = 0;
  // A few entries per second at most (one per collection), never per kill.
  private readonly gc = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      this.gcCount++;
      this.gcPauseMs += e.duration;
    }
  });

  start(): void {
    this.loop.enable();
    this.gc.observe({ entryTypes: ['gc'] });
  }

  stop(): void {
    this.loop.disable();
    this.gc.disconnect();
  }

  snapshot(): ProcessSection {
    const mem = process.memoryUsage();
    const ms = (ns: number): number => Math.round(ns / 10_000) / 100;
    return {
      uptime_seconds: Math.round((Date.now() - this.startedAtMs) / 1000),
      rss_mb: Math.round(mem.rss / 1048576),
      heap_used_mb: Math.round(mem.heapUsed / 1048576),
      event_loop_lag_p50_ms: ms(this.loop.percentile(50)),
      event_loop_lag_p99_ms: ms(this.loop.percentile(99)),
      event_loop_lag_max_ms: ms(this.loop.max),
      gc_collections: this.gcCount,
      gc_pause_ms: Math.round(this.gcPauseMs * 10) / 10,
    };
  }

  /** Lag and GC over the last period: the report resets them so each record covers its own window. */
  resetLag(): void {
    this.loop.reset();
    this.gcCount = 0;
    this.gcPauseMs = 0;
  }
}

/**
 * Every `intervalMs`: one pino record `{ status: <the window's figures> }` whose message is the
 * four-line summary (API, processing, cache, system). Figures cover the window since the
 * previous report, never lifetime totals.
 */
export function startStatusReporter(opts: { intervalMs: number; logger: Logger; window: StatusWindow; onReport?: () => void }): {
  stop(): void;
} {
  if (opts.intervalMs <= 0) return { stop: () => undefined };
  const timer = setInterval(() => {
    try {
      const figures = opts.window.take();
      opts.logger.info({ status: figures }, windowSummary(figures));
    } catch (err) {
      opts.logger.warn({ err }, 'status report failed');
    }
    opts.onReport?.();
  }, opts.intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
