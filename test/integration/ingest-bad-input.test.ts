// Bad input end to end (issue 2, bad input is data): spoiled feed entries from the
// simulator (badEvery) and failing feed requests (fault injection) are each counted with their
// reason, every good kill is still stored once, and the app keeps ingesting afterwards.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { BAD_KINDS, type BadKind } from '../../src/sim/index.js';
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

const N = 100;
const BAD_EVERY = 5;

/** The simulator spoils every BAD_EVERY-th fresh entry, rotating through BAD_KINDS (src/sim/feed-log.ts). */
function badKindOf(ref: number): BadKind | undefined {
  const fresh = ref + 1;
  if (fresh % BAD_EVERY !== 0) return undefined;
  return BAD_KINDS[(fresh / BAD_EVERY - 1) % BAD_KINDS.length];
}

// The oversized entry is ~1 MB (6000 attackers). Under the default maxEntryBytes (4 MiB) it is a
// valid kill and stored; under a 512 KiB limit the R2Z2 reader refuses the body while reading it.
for (const maxEntryBytes of [4 * 1024 * 1024, 512 * 1024]) {
  const oversizedStored = maxEntryBytes > 2 * 1024 * 1024;
  test(`bad entries are counted by reason, good ones stored (maxEntryBytes ${maxEntryBytes})`, async (t) => {
    const sim = await startSim(t, { badEvery: BAD_EVERY });
    const file = join(tempDir(t), 'wk.db');
    const app = await startApp(t, { source: 'r2z2', r2z2Url: sim.url, esiUrl: sim.url, zkbUrl: sim.url, db: file, maxEntryBytes });
    await feedPositioned(app);
    sim.publish(N);
    const bad = sim.stats().bad;
    assert.deepEqual(bad, { malformed_json: 5, missing_killmail_time: 5, wrong_type: 5, oversized: 5 });
    const refused = oversizedStored ? 0 : bad.oversized;
    const expectedFailed = bad.malformed_json + bad.missing_killmail_time + bad.wrong_type;
    const expectedStored = N - expectedFailed - refused;
    const done = (): boolean => totals(app).stored + totals(app).failed + app.counters.get('feed.r2z2.error.too_large') >= N;
    await waitFor(done, 25_000, () => `${N} outcomes (${JSON.stringify(app.results.stats())})`);

    const r = totals(app);
    assert.equal(r.failed, expectedFailed, 'one failure per spoiled entry the pipeline saw');
    assert.equal(app.counters.get('ingest.failed.json'), bad.malformed_json);
    assert.equal(app.counters.get('ingest.failed.missing_field'), bad.missing_killmail_time);
    assert.equal(app.counters.get('ingest.failed.wrong_type'), bad.wrong_type);
    assert.equal(app.counters.get('ingest.failed.too_large'), 0, 'the feed, not the pipeline, refuses oversized bodies');
    assert.equal(app.counters.get('feed.r2z2.error.too_large'), refused);
    assert.equal(r.stored, expectedStored);

    const db = openDbView(file);
    defer(t, () => db.close());
    const good = generatedIds(N).filter((_, ref) => {
      const kind = badKindOf(ref);
      return kind === undefined || (kind === 'oversized' && oversizedStored);
    });
    assert.deepEqual(db.counts(), { total: expectedStored, distinct: expectedStored });
    assert.deepEqual(db.ids(), good);
    if (oversizedStored) {
      const big = db.row(generatedIds(BAD_EVERY * 4)[BAD_EVERY * 4 - 1] ?? 0);
      assert.ok(big, 'the oversized kill is stored');
      assert.equal((JSON.parse(big.json) as { attacker_count: number }).attacker_count, 6000);
    }

    // Still ingesting: the next good kills arrive as usual.
    assert.notEqual(app.feed?.stats().state, 'crashed');
    const simNoBad = sim.stats().bad;
    sim.publish(3); // refs 100..102: none is a multiple of BAD_EVERY minus one
    assert.deepEqual(sim.stats().bad, simNoBad);
    await waitFor(
      () => totals(app).stored >= expectedStored + 3,
      10_000,
      () => `3 more stored (${JSON.stringify(app.results.stats())})`,
    );
    assert.equal(app.pipeline.health().healthy, true);
    // Failed and refused entries are terminal too: the cursor passes them, so a restart refetches none.
    await waitFor(
      () => db.cursor('r2z2') === String(sim.lastSequence),
      5_000,
      () => `cursor ${db.cursor('r2z2')} → ${sim.lastSequence}`,
    );
  });
}

test('feed faults (500, 429 + Retry-After, 403, truncated) are counted, then every kill is stored', async (t) => {
  const sim = await startSim(t);
  // The reader starts at this real entry, so once it is stored the next requests are for entries
  // that exist (a fault on a 404 answer would be counted as that 404 instead).
  sim.publish(1);
  const file = join(tempDir(t), 'wk.db');
  const app = await startApp(t, { source: 'r2z2', r2z2Url: sim.url, esiUrl: sim.url, zkbUrl: sim.url, db: file });
  await waitFor(
    () => totals(app).stored === 1,
    10_000,
    () => 'the first kill',
  );
  sim.publish(39);
  // Injected in order; each applies to its count of r2z2 requests, then the next one takes over.
  sim.setFaults([
    { route: 'r2z2', kind: 'status', status: 500, count: 2 },
    { route: 'r2z2', kind: 'status', status: 429, retryAfterSeconds: 1, count: 1 },
    { route: 'r2z2', kind: 'status', status: 403, count: 1 },
    { route: 'r2z2', kind: 'truncate', count: 2 },
  ]);
  const c = app.counters;
  const errorsSeen = (): boolean =>
    c.get('feed.r2z2.error.http_5xx') >= 2 &&
    c.get('feed.r2z2.error.http_429') >= 1 &&
    c.get('feed.r2z2.error.http_403') >= 1 &&
    sim.stats().faultsApplied.truncate >= 2;
  await waitFor(errorsSeen, 15_000, () => `the injected faults (${JSON.stringify(app.feed?.stats())})`);
  sim.setFaults([]);
  await waitFor(
    () => totals(app).stored >= 40,
    15_000,
    () => `40 stored (${JSON.stringify(app.results.stats())}, feed ${JSON.stringify(app.feed?.stats())})`,
  );

  assert.equal(sim.stats().faultsApplied.status, 4);
  assert.equal(c.get('feed.r2z2.error.http_5xx'), 2);
  assert.equal(c.get('feed.r2z2.error.http_429'), 1);
  assert.equal(c.get('feed.r2z2.error.http_403'), 1);
  // The declared length is the whole body, half arrives, then the socket closes.
  assert.equal(c.get('feed.r2z2.error.truncated'), 2);
  assert.equal(c.get('feed.r2z2.blocked_backoffs'), 2, '429 and 403 back off as blocked');
  assert.ok(c.get('feed.r2z2.backoffs') >= 4, '5xx and truncation back off as errors');
  const db = openDbView(file);
  defer(t, () => db.close());
  assert.deepEqual(db.counts(), { total: 40, distinct: 40 });
  assert.deepEqual(db.ids(), generatedIds(40));
  assert.equal(totals(app).failed, 0);
  assert.equal(app.feed?.stats().consecutiveErrors, 0);
});
