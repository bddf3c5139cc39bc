// The periodic status report (docs/API.md#routes): one structured pino record plus a one-line human
// summary, every `intervalMs`. The original's report was never scheduled; ours is, and every
// figure in it is read from the running stages, never a placeholder.
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { Logger } from 'pino';

export type Section = Record<string, unknown>;
export type SnapshotFn = () => Record<string, Section>;

export interface ProcessSection {
  uptime_seconds: number;
  rss_mb: number;
  heap_used_mb: number;
  event_loop_lag_p50_ms: number;
  event_loop_lag_p99_ms: number;
  event_loop_lag_max_ms: number;
}

/** Event-loop delay and memory, sampled continuously; read by /status and the report. */
export class ProcessMonitor {
  private readonly loop: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 });
  private readonly startedAtMs = Date.now();

  start(): void {
    this.loop.enable();
  }

  stop(): void {
    this.loop.disable();
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
    };
  }

  /** Lag over the last period: the report resets it so each record covers its own window. */
  resetLag(): void {
    this.loop.reset();
  }
}

export function startStatusReporter(opts: { intervalMs: number; logger: Logger; snapshot: SnapshotFn; onReport?: () => void }): { stop(): void } {
  if (opts.intervalMs <= 0) return { stop: () => undefined };
  const timer = setInterval(() => {
    const snap = opts.snapshot();
    opts.logger.info({ status: snap }, humanSummary(snap));
    opts.onReport?.();
  }, opts.intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

/** "feed: received=… stored=… | pipeline: … | …" — every numeric field of every section. */
export function humanSummary(snap: Record<string, Section>): string {
  const parts: string[] = [];
  for (const [name, section] of Object.entries(snap)) {
    const fields = Object.entries(section)
      .filter(([, v]) => typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean')
      .map(([k, v]) => `${k}=${String(v)}`);
    if (fields.length > 0) parts.push(`${name}: ${fields.join(' ')}`);
  }
  return `status | ${parts.join(' | ')}`;
}
