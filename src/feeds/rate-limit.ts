// Sliding-window request limiter: at most `maxPerWindow` take()s resolve within any window of
// `windowMs`. A token bucket would allow a full bucket plus its refill inside one second (up to
// 2x the rate); zKillboard bans per second, so the window is strict.
import { delay } from './timing.js';

export interface RateLimiter {
  /** Resolves when a request may start; resolves early (returns false) when `signal` aborts. */
  take(signal?: AbortSignal): Promise<boolean>;
  /** How many take()s had to wait for the window. */
  readonly throttled: number;
}

export function createRateLimiter(maxPerWindow: number, windowMs = 1000, nowMs: () => number = performanceNowMs): RateLimiter {
  if (!Number.isInteger(maxPerWindow) || maxPerWindow < 1) throw new RangeError('maxPerWindow must be an integer >= 1');
  // Ring of the start times of the last `maxPerWindow` requests; `head` is the oldest.
  const starts = new Float64Array(maxPerWindow).fill(-Infinity);
  let head = 0;
  let throttled = 0;
  // Serialise waiters so two concurrent take()s cannot both claim the same slot.
  let tail: Promise<unknown> = Promise.resolve();

  async function claim(signal: AbortSignal | undefined): Promise<boolean> {
    let waitMs = (starts[head] ?? -Infinity) + windowMs - nowMs();
    if (waitMs > 0) throttled++;
    // Loop because timers may fire up to a millisecond early against performance.now().
    while (waitMs > 0) {
      await delay(Math.ceil(waitMs), signal);
      if (signal?.aborted) return false;
      waitMs = (starts[head] ?? -Infinity) + windowMs - nowMs();
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
    get throttled() {
      return throttled;
    },
  };
}

function performanceNowMs(): number {
  return performance.now();
}
