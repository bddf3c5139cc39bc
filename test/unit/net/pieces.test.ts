// The upstream-protection pieces of src/net on their own: exact behaviour at the edges.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  backoffMs,
  ConcurrencyLimiter,
  ExpiringCache,
  KeyedBuckets,
  maxAgeMs,
  parseRetryAfterMs,
  POLICIES,
  schedule,
  SingleFlight,
  TokenBucket,
  createRateLimiter,
} from '../../../src/net/index.js';

test('SingleFlight: callers of a running key share one call; the key is free again after', async () => {
  const sf = new SingleFlight<number, number>();
  let calls = 0;
  let release!: (v: number) => void;
  const fn = (): Promise<number> => {
    calls++;
    return new Promise((r) => (release = r));
  };
  const a = sf.run(1, fn);
  const b = sf.run(1, fn);
  release(7);
  assert.deepEqual(await Promise.all([a, b]), [7, 7]);
  assert.equal(calls, 1);
  assert.equal(sf.joined, 1);
  await sf.run(1, async () => {
    calls++;
    return 0;
  });
  assert.equal(calls, 2);
  await assert.rejects(
    sf.run(2, () => Promise.reject(new Error('x'))),
    /x/,
  );
  assert.equal(sf.size, 0, 'a rejected call frees its key');
});

test('ExpiringCache: entries expire, the oldest go first when full, ttl <= 0 keeps nothing', () => {
  let now = 0;
  const c = new ExpiringCache<number, string>(2, () => now);
  c.set(1, 'a', 1000);
  c.set(2, 'b', 1000);
  c.set(3, 'c', 1000);
  assert.equal(c.get(1), undefined);
  assert.equal(c.get(2), 'b');
  assert.equal(c.evicted, 1);
  now = 1000;
  assert.equal(c.get(2), undefined, 'expired at its deadline');
  c.set(4, 'd', 0);
  assert.equal(c.get(4), undefined);
  assert.ok(c.size <= 2);
});

test('TokenBucket and KeyedBuckets: burst, then the rate; keys stay bounded', () => {
  let now = 0;
  const b = new TokenBucket(2, 3, () => now);
  assert.deepEqual([b.tryTake(), b.tryTake(), b.tryTake(), b.tryTake()], [true, true, true, false]);
  assert.equal(b.waitMs(), 500);
  now = 500;
  assert.equal(b.tryTake(), true);
  const k = new KeyedBuckets<string>(1, 1, 10, () => now);
  for (let i = 0; i < 100; i++) k.tryTake(`ip${i}`);
  assert.ok(k.size <= 10, `bounded (${k.size})`);
  assert.equal(k.tryTake('x'), true);
  assert.equal(k.tryTake('x'), false);
});

test('ConcurrencyLimiter: maxInFlight run, maxWaiting wait, the rest refused at once', async () => {
  const l = new ConcurrencyLimiter(1, 1);
  assert.equal(await l.acquire(), true);
  const waiting = l.acquire();
  assert.equal(await l.acquire(), false);
  l.release();
  assert.equal(await waiting, true);
  l.release();
  assert.deepEqual(l.stats(), { inFlight: 0, waiting: 0, refused: 1 });
});

test('rate window: pause() holds take() until the time given; an abort returns false', async () => {
  let now = 0;
  const w = createRateLimiter(1, 100, () => now);
  assert.equal(await w.take(), true);
  w.pause(5000);
  assert.equal(w.pausedForMs(), 5000);
  const ac = new AbortController();
  const p = w.take(ac.signal);
  ac.abort();
  assert.equal(await p, false);
  now = 5000;
  assert.equal(await w.take(), true);
});

test('headers: Retry-After seconds and dates, Cache-Control max-age', () => {
  assert.equal(parseRetryAfterMs('3600', 0), 3_600_000);
  assert.equal(parseRetryAfterMs(new Date(10_000).toUTCString(), 0), 10_000);
  assert.equal(parseRetryAfterMs('soon', 0), undefined);
  assert.equal(parseRetryAfterMs(undefined, 0), undefined);
  assert.equal(maxAgeMs('public, max-age=3600'), 3_600_000);
  assert.equal(maxAgeMs('no-store'), 0);
  assert.equal(maxAgeMs(undefined), undefined);
});

test('policies: doubling with a cap, a finite schedule, jitter within its share', () => {
  assert.deepEqual(
    [1, 2, 3, 10].map((a) => backoffMs(POLICIES.feedError, a)),
    [1000, 2000, 4000, 30_000],
  );
  assert.deepEqual(schedule(POLICIES.esiFetchRetry), [5000, 30_000, 120_000]);
  assert.equal(backoffMs(POLICIES.esiTransient, 3), undefined, 'three tries in all');
  const j = backoffMs(POLICIES.esiTransient, 1, () => 0) as number;
  assert.equal(j, 100);
});
