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
  c.inc('ws.kills_broadcast');
  c.inc('http.aborted', 2);
  c.inc('ws.kills_broadcast');
  assert.deepEqual(c.snapshot(), { 'http.aborted': 2, 'ws.kills_broadcast': 2 });
});

test('prometheus buckets beside HDR: per-bucket counts, sum, and a window by subtraction', async () => {
  await initHistograms();
  const h = new LatencyHistogram();
  h.recordUs(50); // ≤ 100 µs
  h.recordUs(700); // ≤ 1 ms
  const before = h.copy();
  h.recordUs(2_000_000); // ≤ 2.5 s
  assert.equal(h.buckets[0], 1);
  assert.equal(h.buckets[3], 1);
  assert.equal(
    h.buckets.reduce((a, b) => a + b, 0),
    3,
  );
  assert.equal(h.sumUs, 2_000_750);
  const w = h.since(before);
  assert.equal(w.summary().count, 1);
  assert.ok(Math.abs(w.summary().p50 - 2_000_000) < 2_000_000 * 0.001 + 1);
  assert.equal(
    w.buckets.reduce((a, b) => a + b, 0),
    1,
  );
  for (const x of [h, before, w]) x.destroy();
});
