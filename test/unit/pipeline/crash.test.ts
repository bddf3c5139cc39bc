// A worker crash loses no entry: in-flight entries are retried once, a repeat offender is
// dead-lettered, later entries still complete.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bytes, r2z2Entry, zkbMeta } from '../../fixtures/pipeline-samples.js';
import { CRASH_WORKER, entry, pushAll, seqsOf, startPipeline } from '../../fixtures/pipeline-harness.js';

function shortPackage(id: number, hash: string, padBytes = 0): Uint8Array {
  return bytes({ package: { killID: id, zkb: zkbMeta({ hash, padding: 'x'.repeat(padBytes) }) } });
}

describe('worker crashes', () => {
  test('a worker killed mid-batch loses no entry and duplicates none', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'wk-crash-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const h = await startPipeline(t, {}, CRASH_WORKER);
    const N = 400;
    const crashAt = new Set([50, 260]);
    const entries = Array.from({ length: N }, (_, i) => {
      const seq = i + 1;
      const body = crashAt.has(seq) ? shortPackage(seq, `crash-once:${join(dir, String(seq))}`) : bytes(r2z2Entry(seq));
      return entry(body, seq);
    });
    await pushAll(h.pipeline, entries);
    await h.waitFor(N);
    assert.deepEqual(
      seqsOf(h.outcomes),
      entries.map((e) => e.seq),
      'every entry exactly once',
    );
    assert.ok(
      h.outcomes.every((o) => o.kind === 'kill'),
      'the crash-once entries succeed on retry',
    );
    assert.equal(h.counters.get('pipeline.worker_crashes'), 2);
    assert.ok(h.counters.get('pipeline.retried') >= 2, 'the crashing entries were retried');
    assert.equal(h.counters.get('pipeline.dead_lettered'), 0);
    assert.equal(h.pipeline.stats().threads, 2, 'piscina replaced the dead workers');
    t.diagnostic(`retried ${h.counters.get('pipeline.retried')}, duplicates discarded ${h.counters.get('pipeline.duplicates_discarded')}`);
  });

  test('entries in flight on a slow fetch survive a crash of their worker', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'wk-crash-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const h = await startPipeline(t, { workers: 1 }, CRASH_WORKER);
    // One lane: the slow entries are read in the same batch as the crashing one.
    const entries = [
      entry(shortPackage(1, 'slow:50'), 1),
      entry(shortPackage(2, 'slow:50'), 2),
      entry(shortPackage(3, `crash-once:${join(dir, 'x')}`), 3),
      entry(shortPackage(4, 'slow:50'), 4),
      entry(bytes(r2z2Entry(5)), 5),
    ];
    await pushAll(h.pipeline, entries);
    await h.waitFor(entries.length);
    assert.deepEqual(seqsOf(h.outcomes), [1, 2, 3, 4, 5]);
    assert.ok(h.outcomes.every((o) => o.kind === 'kill'));
  });

  test('a poison entry that crashes the worker twice is dead-lettered; later entries complete', async (t) => {
    const h = await startPipeline(t, {}, CRASH_WORKER);
    const N = 300;
    const poisonSeq = 120;
    const entries = Array.from({ length: N }, (_, i) => {
      const seq = i + 1;
      return entry(seq === poisonSeq ? shortPackage(seq, 'poison') : bytes(r2z2Entry(seq)), seq, 'redisq');
    });
    await pushAll(h.pipeline, entries);
    await h.waitFor(N);
    assert.deepEqual(
      seqsOf(h.outcomes),
      entries.map((e) => e.seq),
    );
    const dead = h.outcomes.filter((o) => o.kind === 'failed');
    assert.equal(dead.length, 1);
    assert.ok(dead[0]?.kind === 'failed' && dead[0].reason === 'dead_letter' && dead[0].seq === poisonSeq && dead[0].source === 'redisq');
    assert.equal(h.counters.get('pipeline.dead_lettered'), 1);
    assert.equal(h.counters.get('pipeline.failed.dead_letter'), 1);
    assert.equal(h.counters.get('pipeline.worker_crashes'), 2, 'once in its batch, once alone, then dead-lettered');
    assert.equal(h.counters.get('pipeline.parsed'), N - 1);
    assert.equal(h.pipeline.stats().deadLettered, 1);
  });

  test('an entry too large for the rings that crashes its worker is retried once, then dead-lettered', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'wk-crash-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    // 64 KiB rings: the padded packages (20 KB) go to a worker directly (pool.ts).
    const h = await startPipeline(t, { ringBytes: 64 * 1024 }, CRASH_WORKER);
    const entries = Array.from({ length: 100 }, (_, i) => entry(bytes(r2z2Entry(i + 1)), i + 1, 'redisq'));
    entries.splice(30, 0, entry(shortPackage(1000, 'poison', 20_000), 1000, 'redisq'));
    entries.splice(60, 0, entry(shortPackage(1001, `crash-once:${join(dir, 'once')}`, 20_000), 1001, 'redisq'));
    await pushAll(h.pipeline, entries);
    await h.waitFor(entries.length);
    assert.deepEqual(
      seqsOf(h.outcomes),
      entries.map((e) => e.seq).sort((a, b) => a - b),
      'every entry exactly once',
    );
    const failed = h.outcomes.filter((o) => o.kind === 'failed');
    assert.equal(failed.length, 1);
    assert.ok(
      failed[0]?.kind === 'failed' && failed[0].reason === 'dead_letter' && failed[0].seq === 1000 && failed[0].source === 'redisq',
    );
    assert.equal(h.counters.get('pipeline.direct'), 2);
    assert.equal(h.counters.get('pipeline.worker_crashes'), 3, 'poison twice, crash-once once');
    assert.equal(h.counters.get('pipeline.retried'), 2);
    assert.equal(h.counters.get('pipeline.dead_lettered'), 1);
    assert.equal(h.counters.get('pipeline.failed.dead_letter'), 1);
    assert.equal(h.counters.get('pipeline.parsed'), entries.length - 1);
    assert.equal(h.pipeline.stats().threads, 2, 'piscina replaced the dead workers');
  });

  test('stop() waits for an entry too large for the rings that is still in a worker', async (t) => {
    const h = await startPipeline(t, { ringBytes: 64 * 1024 }, CRASH_WORKER);
    assert.ok(h.pipeline.push(entry(shortPackage(2000, 'slow:300', 20_000), 2000)));
    await h.pipeline.stop();
    assert.equal(h.outcomes.length, 1);
    assert.ok(h.outcomes[0]?.kind === 'kill' && h.outcomes[0].seq === 2000);
    assert.equal(h.pipeline.push(entry(shortPackage(2001, 'x', 20_000), 2001)), false, 'refused once stopped');
  });
});
