// Named kills bytes to bytes through the whole app: two servers on real workers and SQLite files
// read the same simulator feed and ESI over loopback HTTP, one with `transcode` on (kills its
// warm caches complete are written by the transcoder with WarmNames), one with it off (every kill
// through JSON.parse, Resolver.fill and JSON.stringify). Both store the same kills with the same
// names; the unit tests (test/unit/pipeline/transcode-names.test.ts) hold the bytes equal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { App } from '../../src/app.js';
import {
  defer,
  feedPositioned,
  openDbView,
  startApp,
  startSim,
  tempDir,
  totals,
  waitFor,
  type DbView,
} from '../fixtures/ingest-harness.js';

const WARM_UP = 250;
const MEASURED = 100;

function enrichConfig(simUrl: string, db: string, transcode: boolean): Record<string, unknown> {
  return { source: 'r2z2', r2z2Url: simUrl, esiUrl: simUrl, zkbUrl: simUrl, db, enrich: true, enrichBudgetMs: 5000, transcode };
}

interface Named {
  solar_system_name?: string;
  victim: { character_id?: number; character_name?: string };
}

/** Every stored kill has its system's name (the sim's ESI knows every system). */
function allNamed(db: DbView): boolean {
  return db.ids().every((id) => typeof (JSON.parse(db.row(id)?.json ?? '{}') as Named).solar_system_name === 'string');
}

const transcoded = (app: App): number => Number(app.status().enrich?.['enrich.transcoded'] ?? 0);

test('kills the warm caches complete are transcoded with their names, and stored as the general path stores them', async (t) => {
  const sim = await startSim(t);
  sim.publish(1);
  const dir = tempDir(t);
  const fast = await startApp(t, enrichConfig(sim.url, join(dir, 'fast.db'), true));
  const general = await startApp(t, enrichConfig(sim.url, join(dir, 'general.db'), false));
  await Promise.all([feedPositioned(fast), feedPositioned(general)]);
  const fastDb = openDbView(join(dir, 'fast.db'));
  const generalDb = openDbView(join(dir, 'general.db'));
  defer(t, () => fastDb.close());
  defer(t, () => generalDb.close());

  for (const [count, label] of [
    [WARM_UP, 'warm-up'],
    [MEASURED, 'measured'],
  ] as const) {
    const before = totals(fast).stored;
    sim.publish(count);
    for (const [app, db] of [
      [fast, fastDb],
      [general, generalDb],
    ] as const) {
      await waitFor(
        () => totals(app).stored >= before + count && allNamed(db),
        60_000,
        () => `${label}: ${count} kills stored with names (${JSON.stringify(app.results.stats())})`,
      );
    }
  }

  // The workers' counters arrive with their replies, or by themselves a second after the last.
  await waitFor(
    () => transcoded(fast) > 0,
    5000,
    () => `the transcoder's count (${transcoded(fast)})`,
  );
  assert.ok(transcoded(fast) > 0, `the transcoder wrote named kills (${transcoded(fast)})`);
  assert.equal(transcoded(general), 0, 'transcode off: every kill took the general path');
  const ids = fastDb.ids();
  assert.deepEqual(ids, generalDb.ids(), 'the same kills');
  for (const id of ids) {
    assert.deepEqual(
      JSON.parse(fastDb.row(id)?.json ?? ''),
      JSON.parse(generalDb.row(id)?.json ?? ''),
      `kill ${id}: the same canonical kill and names`,
    );
  }
});
