// R2Z2 gap repair end to end: a server stopped while more kills were published than the
// simulator's ephemeral window holds restarts, finds its next sequence gone, and repairs the
// gap from /history by itself: the stored set equals the published set, counted in /status.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
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
import { GAP_REPAIR_CURSOR } from '../../src/feeds/index.js';

const WINDOW = 100;

for (const raw of [true, false]) {
  test(
    `a restart after more than the ephemeral window repairs the gap from ${raw ? 'raw day files' : 'id → hash day files and ESI'}`,
    { timeout: 180_000 },
    async (t) => {
      const sim = await startSim(t, { maxEntries: WINDOW, historyRaw: raw });
      sim.publish(1);
      const file = join(tempDir(t), 'wk.db');
      const config = { source: 'r2z2', r2z2Url: sim.url, esiUrl: sim.url, zkbUrl: sim.url, db: file };
      const first = await startApp(t, config);
      await feedPositioned(first);
      sim.publish(49);
      await waitFor(
        () => totals(first).stored >= 50,
        20_000,
        () => `50 stored (${JSON.stringify(first.results.stats())})`,
      );
      await first.stop();

      sim.publish(400); // 300 of them leave the window before the server is back
      const second = await startApp(t, config);
      await waitFor(
        () => totals(second).stored >= 400,
        60_000,
        () => `the gap repaired (${JSON.stringify(second.feed?.stats())})`,
      );
      // The live reader reaches the tip first: publishing sooner would push its unread entries out.
      await waitFor(
        () => Number(second.feed?.stats().seq) > sim.lastSequence,
        20_000,
        () => `the reader at the tip (${JSON.stringify(second.feed?.stats())})`,
      );
      sim.publish(20); // and live ingest carries on
      await waitFor(
        () => totals(second).stored >= 420,
        20_000,
        () => `live after the repair (${JSON.stringify(second.results.stats())})`,
      );

      const stats = second.status().feed ?? {};
      assert.equal(stats.gap_repair_gaps, 1, JSON.stringify(stats));
      assert.equal(stats.gap_repair_repaired, 1);
      assert.ok(Number(stats.gap) >= 1);
      await second.stop();
      const view = openDbView(file);
      defer(t, () => view.close());
      assert.deepEqual(view.ids(), generatedIds(470), 'stored set == published set');
      assert.deepEqual(view.counts(), { total: 470, distinct: 470 });
      assert.equal(view.cursor(GAP_REPAIR_CURSOR), '[]', 'nothing left to repair');
    },
  );
}

test('a server stopped in the middle of a gap repair finishes it after the restart', { timeout: 180_000 }, async (t) => {
  const sim = await startSim(t, { maxEntries: WINDOW });
  sim.publish(1);
  const file = join(tempDir(t), 'wk.db');
  // 25 kills/s: the 300-kill gap takes ~12 s, long enough to stop the server in the middle.
  const config = { source: 'r2z2', r2z2Url: sim.url, esiUrl: sim.url, zkbUrl: sim.url, db: file, gapRepairRate: 25 };
  const first = await startApp(t, config);
  await feedPositioned(first);
  sim.publish(49);
  await waitFor(
    () => totals(first).stored >= 50,
    20_000,
    () => '50 stored',
  );
  await first.stop();
  sim.publish(400);

  const second = await startApp(t, config);
  await waitFor(
    () => Number(second.status().feed?.gap_repair_gaps ?? 0) === 1 && totals(second).stored >= 200,
    60_000,
    () => `the repair under way (${JSON.stringify(second.status().feed)})`,
  );
  assert.ok(totals(second).stored < 400, 'stopped before the repair finished');
  await second.stop();
  const saved = openDbView(file);
  assert.notEqual(saved.cursor(GAP_REPAIR_CURSOR), '[]', 'the unfinished repair is saved');
  saved.close();

  const third = await startApp(t, config);
  await waitFor(
    () => Number(third.status().feed?.gap_repair_repaired ?? 0) === 1,
    60_000,
    () => `the repair resumed and finished (${JSON.stringify(third.status().feed)})`,
  );
  assert.equal(third.status().feed?.gap_repair_resumed, 1);
  await third.stop();
  const view = openDbView(file);
  defer(t, () => view.close());
  assert.deepEqual(view.ids(), generatedIds(450), 'stored set == published set');
  assert.equal(view.cursor(GAP_REPAIR_CURSOR), '[]');
});
