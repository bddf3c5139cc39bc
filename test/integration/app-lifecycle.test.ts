// The app's own failure paths, end to end: a store that refuses writes for a while loses no
// kill and moves the cursor only past committed kills; a start that fails (port in use) releases
// everything it had started.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { once } from 'node:events';
import Database from 'better-sqlite3';
import { createApp } from '../../src/app.js';
import { testConfig } from '../../src/config/index.js';
import { R2Z2_CURSOR } from '../../src/feeds/index.js';
import { silentLogger } from '../../src/telemetry/index.js';
import { defer, feedPositioned, openDbView, served, startApp, startSim, tempDir, totals, waitFor } from '../fixtures/ingest-harness.js';

test('a store that refuses writes: kills wait unacknowledged, then are all stored once it recovers', async (t) => {
  const sim = await startSim(t);
  sim.publish(1);
  const file = join(tempDir(t), 'wk.db');
  const app = await startApp(t, { source: 'r2z2', r2z2Url: sim.url, esiUrl: sim.url, db: file }, { pauseFeedAt: 8 });
  await feedPositioned(app);
  await waitFor(
    () => totals(app).stored >= 1,
    10_000,
    () => 'the first kill stored',
  );
  const cursorBefore = app.store.cursors.getCursor(R2Z2_CURSOR);

  // Another connection holds the write lock: every batch fails after dbLockWaitMs (SQLITE_BUSY),
  // on the writer thread as on the main thread without one.
  const holder = new Database(file);
  defer(t, () => holder.close());
  holder.exec('BEGIN IMMEDIATE');
  sim.publish(40);
  await waitFor(
    () => (app.results.stats().store_errors ?? 0) >= 2,
    10_000,
    () => `write failures (${JSON.stringify(app.results.stats())})`,
  );
  assert.equal(totals(app).stored, 1, 'nothing stored while the store refuses writes');
  assert.equal(app.store.cursors.getCursor(R2Z2_CURSOR), cursorBefore, 'the cursor stays at the last committed kill');
  assert.equal(app.store.health().healthy, false, '/health reports the database');
  // Past the backlog threshold the feed is paused: it stops fetching instead of piling up kills.
  await waitFor(
    () => (app.results.stats().feed_pauses ?? 0) >= 1,
    10_000,
    () => `feed paused (${JSON.stringify(app.results.stats())})`,
  );
  const fetchedWhilePaused = served(sim, 'r2z2.entry');
  assert.ok(fetchedWhilePaused < 41, `the feed stopped short of the 40 published kills (${fetchedWhilePaused} fetched)`);

  holder.exec('COMMIT');
  await waitFor(
    () => totals(app).stored >= 41,
    15_000,
    () => `recovered (${JSON.stringify(app.results.stats())})`,
  );
  const db = openDbView(file);
  defer(t, () => db.close());
  assert.deepEqual(db.counts(), { total: 41, distinct: 41 });
  await waitFor(
    () => db.cursor(R2Z2_CURSOR) === String(sim.lastSequence),
    5_000,
    () => `cursor ${db.cursor(R2Z2_CURSOR)} → ${sim.lastSequence}`,
  );
});

test('a failed start (port in use) releases the workers, the store and the simulator', async (t) => {
  const blocker = createServer();
  blocker.listen(0, '127.0.0.1');
  await once(blocker, 'listening');
  defer(t, () => new Promise<void>((r) => blocker.close(() => r())));
  const port = (blocker.address() as { port: number }).port;
  const app = await createApp(
    testConfig({
      source: 'sim',
      simRate: 0,
      db: join(tempDir(t), 'x.db'),
      host: '127.0.0.1',
      port,
      workers: 1,
      logLevel: 'silent',
      statusIntervalSeconds: 0,
    }),
    { logger: silentLogger() },
  );
  await assert.rejects(app.start());
  // Everything is released: the test process would otherwise be kept alive by the worker pool,
  // the checkpoint thread or the simulator's server, and this file would time out.
  assert.equal(app.pipeline.health().healthy, false);
  assert.equal(app.store.health().healthy, false);
});
