// Sliding-window request limiter: at most `maxPerWindow` take()s resolve within any window of
// `windowMs`. A token bucket would allow a full bucket plus its refill inside one second (up to
// 2x the rate); zKillboard bans per second (docs/OPERATIONS.md "Upstream protection"), so the
// window is strict. pause() holds every caller until a time the server named (Retry-After).
import { delay } from './timing.js';

export interface RateLimiter {
  /** Resolves when a request may start; resolves early (returns false) when `signal` aborts. */
  take(signal?: AbortSignal): Promise<boolean>;
  /** Hold every take() for `ms` from now (a 429's Retry-After); a longer pause already set wins. */
  pause(ms: number): void;
  /** Ms left of the current pause (0 when not paused). */
  pausedForMs(): number;
  /** How many take()s had to wait for the window. */
  readonly throttled: number;
}

export function createRateLimiter(maxPerWindow: number, windowMs = 1000, nowMs: () => number = performanceNowMs): RateLimiter {
  if (!Number.isInteger(maxPerWindow) || maxPerWindow < 1) throw new RangeError('maxPerWindow must be an integer >= 1');
  // Ring of the start times of the last `maxPerWindow` requests; `head` is the oldest.
  const starts = new Float64Array(maxPerWindow).fill(-Infinity);
  let head = 0;
  let throttled = 0;
  let pausedUntil = -Infinity;
  // Serialise waiters so two concurrent take()s cannot both claim the same slot.
  let tail: Promise<unknown> = Promise.resolve();

  const waitFor = (): number => Math.max((starts[head] ?? -Infinity) + windowMs, pausedUntil) - nowMs();

  async function claim(signal: AbortSignal | undefined): Promise<boolean> {
    let waitMs = waitFor();
    if (waitMs > 0) throttled++;
    // Loop because timers may fire up to a millisecond early against performance.now(), and a
    // pause may be set while we wait.
    while (waitMs > 0) {
      await delay(Math.ceil(waitMs), signal);
      if (signal?.aborted) return false;
      waitMs = waitFor();
    }
    starts[head] = nowMs();
    head = (head + 1) % maxPerWindow;
    return true;
  }

  return {
    take(signal?: AbortSignal): Promise<boolean> {
      const next = tail.then(() => claim(signal));
      tail = next;
      return next;
    },
    pause(ms: number): void {
      pausedUntil = Math.max(pausedUntil, nowMs() + ms);
    },
    pausedForMs: () => Math.max(0, pausedUntil - nowMs()),
    get throttled() {
      return throttled;
    },
  };
}

function performanceNowMs(): number {
  return performance.now();
}
