// The embedded simulator on a fresh or an existing database: a new reader on an empty feed gets
// the first kill without a false gap, and `serve --source sim` restarted on a database whose
// R2Z2 cursor is further on keeps ingesting new kills at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { R2Z2_CURSOR } from '../../src/feeds/index.js';
import { feedPositioned, openDbView, startApp, startSim, tempDir, totals, waitFor } from '../fixtures/ingest-harness.js';

test('a reader starting on an empty simulated feed stores the first kill with no gap', async (t) => {
  const sim = await startSim(t);
  const app = await startApp(t, { source: 'r2z2', r2z2Url: sim.url, esiUrl: sim.url, db: ':memory:' });
  await feedPositioned(app);
  // Long enough for the reader to give up on a tip that is never published (3 tries × 50 ms).
  await new Promise((r) => setTimeout(r, 400));
  sim.publish(1);
  await waitFor(
    () => totals(app).stored >= 1,
    10_000,
    () => `the first kill stored (${JSON.stringify(app.feed?.stats())})`,
  );
  assert.equal(app.counters.get('feed.r2z2.gap'), 0, 'no sequence counted lost');
  assert.equal(app.feed?.stats().seq, sim.lastSequence + 1);
});

test('serve --source sim restarted on an existing database goes on from the stored cursor', async (t) => {
  const file = join(tempDir(t), 'sim.db');
  const first = await startApp(t, { source: 'sim', simRate: 0, db: file });
  await feedPositioned(first);
  first.sim?.publish(3);
  await waitFor(
    () => totals(first).stored >= 3,
    10_000,
    () => `3 kills stored (${JSON.stringify(first.results.stats())})`,
  );
  await waitFor(
    () => first.store.cursors.getCursor(R2Z2_CURSOR) === String(first.sim?.lastSequence),
    5_000,
    () => 'cursor saved',
  );
  const cursor = Number(first.store.cursors.getCursor(R2Z2_CURSOR));
  await first.stop();

  const second = await startApp(t, { source: 'sim', simRate: 0, db: file });
  assert.equal(second.sim?.lastSequence, cursor, 'the simulator numbers its feed after the stored cursor');
  await feedPositioned(second);
  second.sim?.publish(2);
  await waitFor(
    () => totals(second).stored >= 2,
    10_000,
    () => `2 new kills stored (${JSON.stringify(second.results.stats())}; feed ${JSON.stringify(second.feed?.stats())})`,
  );
  await second.stop();
  const db = openDbView(file);
  t.after(() => db.close());
  assert.deepEqual(db.counts(), { total: 5, distinct: 5 }, 'the restarted simulator publishes new kills, not those of the first run again');
  assert.equal(db.cursor(R2Z2_CURSOR), String(cursor + 2));
});
