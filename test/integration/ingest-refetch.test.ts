// A malformed 200 from R2Z2 (issue 11): the entry is refetched with back-off (R2Z2 files are
// immutable), then dead-lettered with its body. At a 20 % malformed fault rate on every R2Z2
// answer, every published kill ends up stored, and the cursor never passes an entry in doubt.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import {
  defer,
  feedPositioned,
  generatedIds,
  openDbView,
  startApp,
  startSim,
  tempDir,
  totals,
  waitFor,
} from '../fixtures/ingest-harness.js';

const N = 150;

test('20 % malformed R2Z2 answers: published set == stored set, malformed ones refetched', async (t) => {
  const sim = await startSim(t);
  const file = join(tempDir(t), 'wk.db');
  sim.publish(1); // the tip the reader starts at
  const app = await startApp(t, { source: 'r2z2', r2z2Url: sim.url, esiUrl: sim.url, zkbUrl: sim.url, db: file });
  await feedPositioned(app);
  await fetch(`${sim.url}/_sim/faults`, { method: 'POST', body: JSON.stringify([{ route: 'r2z2', kind: 'malformed', probability: 0.2 }]) });
  sim.publish(N - 1);
  await waitFor(
    () => totals(app).stored >= N,
    60_000,
    () => `${N} stored (${JSON.stringify(app.results.stats())})`,
  );
  // No new faults: what is in flight settles, then the published set is compared with the file.
  await fetch(`${sim.url}/_sim/faults`, { method: 'POST', body: '[]' });
  await waitFor(
    () => app.results.stats().feed_refetch_pending === 0,
    30_000,
    () => `refetches settled (${JSON.stringify(app.results.stats())})`,
  );

  const s = app.results.stats();
  t.diagnostic(
    `malformed answers ${sim.stats().faultsApplied.malformed}, refetches ${s.feed_refetches}, dead letters ${s.feed_refetch_dead_letters}`,
  );
  assert.ok((s.feed_refetches ?? 0) >= 10, `malformed entries were refetched (${s.feed_refetches})`);
  const db = openDbView(file);
  defer(t, () => db.close());
  assert.deepEqual(db.ids(), generatedIds(N), 'published set == stored set');
  assert.deepEqual(db.counts(), { total: N, distinct: N });
  await app.stop();
  assert.ok(Number(db.cursor('r2z2')) >= sim.lastSequence, 'the cursor reached the last published entry');
  // Entries past the tip that a fault turned into a 200 are refetched (404) and then
  // dead-lettered with the body they came with; none of them is a published kill.
  const dl = new Database(file, { readonly: true });
  defer(t, () => dl.close());
  for (const row of dl.prepare<[], { reason: string; body: Buffer | string | null }>('SELECT reason, body FROM dead_letters').all()) {
    assert.equal(row.reason, 'json');
    assert.equal(Buffer.from(row.body ?? '').toString(), '{"killmail_id": 12,,', 'dead-lettered with its body');
  }
});

test('a permanently malformed entry is refetched on the schedule, then dead-lettered with its body and passed', async (t) => {
  const sim = await startSim(t, { badEvery: 1 }); // every entry spoiled, rotating through the bad kinds
  const file = join(tempDir(t), 'wk.db');
  sim.publish(1);
  const app = await startApp(t, { source: 'r2z2', r2z2Url: sim.url, esiUrl: sim.url, zkbUrl: sim.url, db: file });
  await feedPositioned(app);
  sim.publish(3); // the first bad kind is malformed JSON
  await waitFor(
    () => totals(app).failed + totals(app).stored >= 4,
    20_000,
    () => `4 outcomes (${JSON.stringify(app.results.stats())})`,
  );
  const s = app.results.stats();
  assert.equal(s.feed_refetches, 5 * (sim.stats().bad.malformed_json ?? 0), 'five refetches per malformed entry');
  assert.equal(s.feed_refetch_dead_letters, sim.stats().bad.malformed_json);
  const dl = new Database(file, { readonly: true });
  defer(t, () => dl.close());
  const rows = dl
    .prepare<[], { source: string; reason: string; body: Buffer | null }>(
      "SELECT source, reason, body FROM dead_letters WHERE reason = 'json'",
    )
    .all();
  assert.equal(rows.length, sim.stats().bad.malformed_json);
  for (const r of rows) {
    assert.equal(r.source, 'r2z2');
    assert.ok(r.body !== null && r.body.length > 0, 'the body is kept');
  }
});
