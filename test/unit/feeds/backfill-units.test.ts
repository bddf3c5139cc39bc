// BackfillFeed across units: the next unit is read while the previous one's entries are still in
// the pipeline, and a unit is marked done only once every one of its entries is acknowledged,
// whatever order the acknowledgements come in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { BackfillProgressStore, IngestSink, RawEntry } from '../../../src/core/ports.js';
import { createBackfillFeed, type BackfillUnit } from '../../../src/feeds/index.js';
import { Counters, silentLogger } from '../../../src/telemetry/index.js';

/** A unit of `n` JSON-lines kills with ids from `first`. */
function unit(name: string, first: number, n: number): BackfillUnit {
  const lines = Array.from({ length: n }, (_, i) => `{"killmail_id":${first + i},"killmail_time":"2026-11-01T00:00:00Z"}`);
  return {
    name,
    open: () =>
      Promise.resolve({
        kind: 'mail' as const,
        chunks: (async function* () {
          yield Buffer.from(lines.join('\n'));
        })(),
      }),
  };
}

function memoryProgress(): BackfillProgressStore & { rows: Map<string, { position: number; done: boolean }> } {
  const rows = new Map<string, { position: number; done: boolean }>();
  return {
    rows,
    get: (job, u) => rows.get(`${job}/${u}`),
    set: (job, u, position, done) => void rows.set(`${job}/${u}`, { position, done }),
    hasKill: () => false,
  };
}

/** A backfill feed's options over `units`, with a sink that takes every entry into `pushed`. */
function harness(units: BackfillUnit[]) {
  const pushed: RawEntry[] = [];
  const sink: IngestSink = { push: (e) => (pushed.push(e), true), whenWritable: () => Promise.resolve() };
  const progress = memoryProgress();
  const opts = {
    job: 'file',
    units,
    progress,
    sink,
    logger: silentLogger(),
    counters: new Counters(),
    cutoffSeconds: 0,
    maxEntryBytes: 1 << 20,
  };
  return { pushed, progress, opts };
}

test('units overlap in the pipeline; each is done only when all its entries are acknowledged', async () => {
  const { pushed, progress, opts } = harness([unit('a', 100, 3), unit('b', 200, 2), unit('c', 300, 2)]);
  const feed = createBackfillFeed(opts);
  await feed.start();
  // Nothing is acknowledged yet, and still every unit was read: no drain between units.
  while (pushed.length < 7) await new Promise((r) => setImmediate(r));
  assert.deepEqual(
    pushed.map((e) => e.seq),
    [1, 2, 3, 4, 5, 6, 7],
  );
  assert.equal(progress.rows.get('file/a')?.done, undefined, 'a is not done before its acks');

  // b's entries and one of a's are acknowledged: neither a (entry 3 pending) nor b is done.
  for (const seq of [4, 5, 1, 2]) feed.ack(seq);
  assert.notEqual(progress.rows.get('file/a')?.done, true);
  assert.notEqual(progress.rows.get('file/b')?.done, true);

  // a's last entry: a and b (already all acknowledged) are done together, in order; c is not.
  feed.ack(3);
  assert.deepEqual(progress.rows.get('file/a'), { position: 3, done: true });
  assert.deepEqual(progress.rows.get('file/b'), { position: 2, done: true });
  assert.notEqual(progress.rows.get('file/c')?.done, true);

  feed.ack(7);
  feed.ack(6);
  const result = await feed.done();
  assert.deepEqual(progress.rows.get('file/c'), { position: 2, done: true });
  assert.equal(result.unitsDone, 3);
  assert.deepEqual(result.errors, []);
});

test('stopped with a read unit not fully acknowledged: it stays not done, and is read again', async () => {
  const { pushed, progress, opts } = harness([unit('a', 100, 2), unit('b', 200, 2)]);
  const feed = createBackfillFeed(opts);
  await feed.start();
  while (pushed.length < 4) await new Promise((r) => setImmediate(r));
  feed.ack(1);
  feed.ack(3);
  await feed.stop();
  assert.notEqual(progress.rows.get('file/a')?.done, true, 'entry 2 of a was never acknowledged');
  assert.notEqual(progress.rows.get('file/b')?.done, true);

  // A second run reads a from its committed prefix (1 entry) and all of b.
  pushed.length = 0;
  const again = createBackfillFeed(opts);
  await again.start();
  while (pushed.length < 3) await new Promise((r) => setImmediate(r));
  for (const e of pushed) again.ack(e.seq);
  const result = await again.done();
  assert.equal(result.unitsDone, 2);
  assert.deepEqual(
    pushed.map((e) => JSON.parse(Buffer.from(e.body).toString()).killmail_id as number),
    [101, 200, 201],
  );
});
