import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Backoff, createRateLimiter, delay, POLICIES } from '../../../src/net/index.js';

describe('rate limiter', () => {
  test('never more than maxPerWindow starts in any window, even for concurrent takers', async () => {
    const limiter = createRateLimiter(5, 100);
    const starts: number[] = [];
    await Promise.all(
      Array.from({ length: 12 }, async () => {
        await limiter.take();
        starts.push(performance.now());
      }),
    );
    starts.sort((a, b) => a - b);
    for (let i = 5; i < starts.length; i++) {
      assert.ok(starts[i]! - starts[i - 5]! >= 99, `start ${i} only ${starts[i]! - starts[i - 5]!} ms after start ${i - 5}`);
    }
    assert.ok(starts.at(-1)! - starts[0]! >= 198, 'twelve starts at five per 100 ms span two windows');
    assert.ok(limiter.throttled >= 2);
  });

  test('take() returns false promptly when aborted while throttled', async () => {
    const limiter = createRateLimiter(1, 10_000);
    assert.equal(await limiter.take(), true);
    const stop = new AbortController();
    const pending = limiter.take(stop.signal);
    stop.abort();
    const t0 = performance.now();
    assert.equal(await pending, false);
    assert.ok(performance.now() - t0 < 100);
  });

  test('rejects a non-positive rate', () => {
    assert.throws(() => createRateLimiter(0), RangeError);
  });
});

describe('timing helpers', () => {
  test('Backoff doubles to its cap and resets', () => {
    const b = new Backoff(POLICIES.feedError);
    assert.deepEqual(
      Array.from({ length: 7 }, () => b.next()),
      [1000, 2000, 4000, 8000, 16_000, 30_000, 30_000],
    );
    b.reset();
    assert.equal(b.next(), 1000);
  });

  test('delay resolves early on abort', async () => {
    const stop = new AbortController();
    const t0 = performance.now();
    const p = delay(10_000, stop.signal);
    stop.abort();
    await p;
    assert.ok(performance.now() - t0 < 100);
  });
});
