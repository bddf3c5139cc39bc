import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { openDatabase } from '../../../src/store/open.js';
import { migrate } from '../../../src/store/migrations.js';
import { createStoreWriter } from '../../../src/store/writer.js';
import { startCheckpointer } from '../../../src/store/checkpointer.js';
import { openStore } from '../../../src/store/index.js';
import { Counters } from '../../../src/telemetry/index.js';
import { makeKill, tempDir } from './helpers.js';

const tmp = tempDir();
after(tmp.cleanup);

async function until(cond: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

test('the checkpoint thread runs PASSIVE past the threshold, then TRUNCATE once the WAL is idle', async () => {
  const path = join(tmp.dir, 'cp.db');
  // Writer autocheckpoint off: only the thread may checkpoint in this test.
  const o = openDatabase(path, (db) => void migrate(db), {
    busyTimeoutMs: 5000,
    cacheKiB: 8192,
    writerCacheKiB: 8192,
    mmapBytes: 0,
    walAutocheckpointBytes: 0,
    pageBytes: 8192,
    walSizeLimitBytes: 0,
  });
  after(() => o.close());
  const counters = new Counters();
  const cp = startCheckpointer({ path: o.path, thresholdBytes: 64 * 1024, idleMs: 300, intervalMs: 20, counters });
  after(() => cp.stop());
  const w = createStoreWriter(o.writer);
  w.writeBatch(Array.from({ length: 100 }, (_, i) => makeKill({ id: i + 1, padTo: 2000 })));
  assert.ok(statSync(path + '-wal').size > 64 * 1024);

  await until(() => cp.stats().passive + cp.stats().busy >= 1, 'a PASSIVE checkpoint');
  await until(() => cp.stats().truncate >= 1, 'a TRUNCATE checkpoint after 300 ms idle');
  assert.equal(statSync(path + '-wal').size, 0);
  assert.ok(counters.get('store.wal_checkpoints') >= 2);
  // The writer keeps working after the thread's checkpoints, and the data is all there.
  assert.deepEqual(w.writeBatch([makeKill({ id: 101 })]), ['stored']);
  assert.equal(o.reader.prepare('SELECT count(*) FROM killmails').pluck().get(), 101);
  await cp.stop();
  assert.equal(cp.stats().running, false);
  await cp.stop(); // idempotent
});

test('openStore: start() runs the thread, stop() ends it, the report shows it', async () => {
  const store = openStore({ path: join(tmp.dir, 'cp2.db'), retentionHours: 1 });
  assert.equal(store.report().checkpointer, null, 'no thread before start()');
  store.start();
  assert.equal(store.report().checkpointer?.running, true);
  store.writer.writeBatch([makeKill({ id: 1 })]);
  await store.stop();
  assert.equal(store.health().healthy, false, 'closed after stop()');
});

test('checkpointThread false and :memory: start no thread', async () => {
  const a = openStore({ path: join(tmp.dir, 'cp3.db'), retentionHours: 1, checkpointThread: false });
  a.start();
  assert.equal(a.report().checkpointer, null);
  await a.stop();
  const b = openStore({ path: ':memory:', retentionHours: 1 });
  b.start();
  assert.equal(b.report().checkpointer, null);
  await b.stop();
});
