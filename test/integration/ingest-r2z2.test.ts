// Ingest end to end over R2Z2 (issue 2): the simulator serves /ephemeral/N.json over loopback
// HTTP, the app's R2Z2 reader pushes the bytes into the rings, real Piscina workers normalise
// them and the batch writer commits them to a SQLite file. Assertions read the file directly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { R2Z2_CURSOR } from '../../src/feeds/index.js';
import {
  defer,
  feedPositioned,
  generatedIds,
  openDbView,
  served,
  startApp,
  startSim,
  tempDir,
  totals,
  waitFor,
} from '../fixtures/ingest-harness.js';

const N = 300;

function r2z2Config(simUrl: string, db: string): Record<string, unknown> {
  return { source: 'r2z2', r2z2Url: simUrl, esiUrl: simUrl, zkbUrl: simUrl, db };
}

// Both store writers: on the main thread (the default) and on the writer thread (dbWriterThread).
for (const dbWriterThread of [false, true]) {
  test(`R2Z2: every published kill is stored exactly once, as many as the simulator served (writer thread ${dbWriterThread ? 'on' : 'off'})`, async (t) => {
    const sim = await startSim(t);
    // With one entry published, sequence.json names a real entry, which the reader starts with.
    sim.publish(1);
    const file = join(tempDir(t), 'wk.db');
    const app = await startApp(t, { ...r2z2Config(sim.url, file), dbWriterThread });
    await feedPositioned(app);
    sim.publish(N - 1);
    await waitFor(
      () => totals(app).stored >= N,
      20_000,
      () => `${N} stored (${JSON.stringify(app.results.stats())})`,
    );

    const db = openDbView(file);
    defer(t, () => db.close());
    assert.deepEqual(db.counts(), { total: N, distinct: N });
    assert.deepEqual(db.ids(), generatedIds(N));
    assert.equal(served(sim, 'r2z2.entry'), N, 'each entry fetched once: no refetch, no duplicate');
    const r = totals(app);
    assert.equal(r.stored, N);
    assert.equal(r.failed, 0);
    assert.equal(r.skipped, 0);
    assert.equal(app.counters.get('ingest.failed'), 0);
    assert.equal(app.counters.get('feed.r2z2.gap'), 0);
    assert.equal(app.counters.get('feed.r2z2.received'), N);
    // The cursor is the ack watermark: the newest sequence, all of it stored.
    await waitFor(
      () => db.cursor(R2Z2_CURSOR) === String(sim.lastSequence),
      5_000,
      () => `cursor ${db.cursor(R2Z2_CURSOR)} → ${sim.lastSequence}`,
    );
  });
}

test('R2Z2 restart: kills published while the app is down are stored after a restart, none twice', async (t) => {
  const sim = await startSim(t);
  sim.publish(1);
  const file = join(tempDir(t), 'wk.db');
  const first = await startApp(t, r2z2Config(sim.url, file));
  await feedPositioned(first);
  sim.publish(99);
  await waitFor(
    () => totals(first).stored >= 100,
    15_000,
    () => `100 stored (${JSON.stringify(first.results.stats())})`,
  );
  await first.stop();

  const db = openDbView(file);
  defer(t, () => db.close());
  assert.equal(db.counts().total, 100);
  assert.equal(db.cursor(R2Z2_CURSOR), String(sim.lastSequence), 'cursor persisted at stop');

  sim.publish(150); // while no app runs
  const second = await startApp(t, r2z2Config(sim.url, file));
  await feedPositioned(second);
  sim.publish(50); // and after the restart
  await waitFor(
    () => totals(second).stored >= 200,
    15_000,
    () => `200 more stored (${JSON.stringify(second.results.stats())})`,
  );

  assert.deepEqual(db.counts(), { total: 300, distinct: 300 });
  assert.deepEqual(db.ids(), generatedIds(300));
  const r = totals(second);
  assert.equal(r.skipped, 0, 'nothing refetched: the reader resumed after the stored cursor');
  assert.equal(r.failed, 0);
  assert.equal(served(sim, 'r2z2.entry'), 300, 'each entry fetched once across both runs');
  // Starting at the sequence.json tip instead would have skipped the 150 published while down.
  assert.equal(second.counters.get('feed.r2z2.gap'), 0);
  await second.stop();
  assert.equal(db.cursor(R2Z2_CURSOR), String(sim.lastSequence));
});

test('R2Z2 sequence_updated: the stored copy is replaced (new zkb labels), not stored twice nor re-broadcast', async (t) => {
  const sim = await startSim(t);
  sim.publish(1);
  const file = join(tempDir(t), 'wk.db');
  const app = await startApp(t, r2z2Config(sim.url, file));
  await feedPositioned(app);
  sim.publish(3);
  await waitFor(
    () => totals(app).stored >= 4,
    15_000,
    () => `4 stored (${JSON.stringify(app.results.stats())})`,
  );
  const broadcastBefore = app.results.stats().broadcast ?? 0;

  const db = openDbView(file);
  defer(t, () => db.close());
  const id = db.ids()[1] as number;
  const updatedSeq = sim.republish(sim.lastSequence - 2, ['ganked']);
  assert.ok(updatedSeq !== undefined, 'the simulator re-published the entry');
  await waitFor(
    () => (app.results.stats().replaced ?? 0) >= 1,
    10_000,
    () => `the replacement applied (${JSON.stringify(app.results.stats())})`,
  );
  assert.deepEqual(db.counts(), { total: 4, distinct: 4 });
  const labels = (JSON.parse(db.row(id)!.json) as { zkb: { labels: string[] } }).zkb.labels;
  assert.ok(labels.includes('ganked'), `the new label is stored: ${JSON.stringify(labels)}`);
  assert.equal(app.results.stats().broadcast, broadcastBefore, 'a replacement is not broadcast again');
});
