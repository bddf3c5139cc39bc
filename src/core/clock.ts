// Time helpers. Latency stamps use a monotonic clock in integer microseconds; wall-clock
// times are epoch milliseconds. Names carry their unit.
import { performance } from 'node:perf_hooks';

/** Monotonic microseconds since this thread's time origin. Only compare stamps from one thread. */
export function monoUs(): number {
  return Math.round(performance.now() * 1000);
}

/** Epoch µs, comparable across threads (timeOrigin + now). Used for ingest → delivery latency. */
export function epochUs(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1000);
}

export function isoNow(): string {
  return new Date().toISOString();
}

export const MS_PER_HOUR = 3_600_000;
export const MS_PER_SECOND = 1000;
