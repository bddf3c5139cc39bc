// Kills older than the retention window (--retention-hours) would be pruned on retention's next
// run: they are counted `expired`, acknowledged (the cursor moves past them), and never stored
// nor broadcast. With retention disabled (0) the same kills are stored. Simulator feed over real
// loopback HTTP, real workers, a real SQLite file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { R2Z2_CURSOR } from '../../src/feeds/index.js';
import { defer, feedPositioned, openDbView, startApp, startSim, tempDir, totals, waitFor } from '../fixtures/ingest-harness.js';

const HOUR_MS = 3_600_000;

function config(simUrl: string, db: string, retentionHours: number): Record<string, unknown> {
  // cutoffSeconds 0: an old kill is not `older`, so only expiry can keep it off the bus.
  return { source: 'r2z2', r2z2Url: simUrl, esiUrl: simUrl, zkbUrl: simUrl, db, retentionHours, cutoffSeconds: 0 };
}

test('kills older than the retention window are counted expired, not stored nor broadcast', async (t) => {
  const sim = await startSim(t, { killAgeMs: 3 * HOUR_MS });
  sim.publish(1);
  const file = join(tempDir(t), 'wk.db');
  const app = await startApp(t, config(sim.url, file, 2));
  await feedPositioned(app);
  sim.publish(5);
  const expired = (): number => app.results.stats().expired ?? 0;
  await waitFor(
    () => expired() >= 6,
    15_000,
    () => `6 expired (the tip and 5 more) (${JSON.stringify(app.results.stats())})`,
  );

  const r = totals(app);
  assert.equal(r.stored, 0, 'an expired kill is not counted stored');
  assert.equal(r.failed, 0);
  assert.equal(app.results.stats().broadcast, 0, 'nor broadcast');
  assert.equal(app.counters.get('ingest.broadcast'), 0);
  assert.equal(app.counters.get('ingest.expired'), expired());
  assert.equal((app.status().ingest as Record<string, unknown>).expired, expired(), '/status ingest section');
  const db = openDbView(file);
  defer(t, () => db.close());
  assert.deepEqual(db.counts(), { total: 0, distinct: 0 }, 'nothing written');
  // Acknowledged like any terminal outcome: a restart does not fetch them again.
  await waitFor(
    () => db.cursor(R2Z2_CURSOR) === String(sim.lastSequence),
    5_000,
    () => `cursor ${db.cursor(R2Z2_CURSOR)} → ${sim.lastSequence}`,
  );
});

test('retention 0 keeps every kill: the same old kills are stored', async (t) => {
  const sim = await startSim(t, { killAgeMs: 3 * HOUR_MS });
  sim.publish(1);
  const file = join(tempDir(t), 'wk.db');
  const app = await startApp(t, config(sim.url, file, 0));
  await feedPositioned(app);
  sim.publish(5);
  await waitFor(
    () => totals(app).stored >= 6,
    15_000,
    () => `6 stored (${JSON.stringify(app.results.stats())})`,
  );
  assert.equal(app.results.stats().expired ?? 0, 0);
  const db = openDbView(file);
  defer(t, () => db.close());
  assert.equal(db.counts().total, 6);
});
