import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LatencyHistogram, initHistograms, Counters } from '../../../src/telemetry/index.js';

test('histogram percentiles, clamping and merge of an encoded histogram', async () => {
  await initHistograms();
  const a = new LatencyHistogram(1_000_000);
  const b = new LatencyHistogram(1_000_000);
  for (let i = 1; i <= 1000; i++) a.recordUs(i);
  b.recordUs(5_000_000); // past the top: clamped to the highest trackable value
  a.addEncoded(b.encode());
  const s = a.summary();
  assert.equal(s.count, 1001);
  assert.ok(Math.abs(s.p50 - 500) <= 1);
  assert.ok(s.max >= 999_000);
  a.destroy();
  b.destroy();
});

test('counters add and snapshot in name order', () => {
  const c = new Counters();
  c.inc('b');
  c.inc('a', 2);
  c.inc('b');
  assert.deepEqual(c.snapshot(), { a: 2, b: 2 });
});
