// The worker calls enricher.enrich(kill, budgetMs) when config.enrich is on, and sets
// KillRecord.enriched from it; reenrich() runs the same enricher over stored JSON.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bytes, esiKillmail, r2z2Entry } from '../../fixtures/pipeline-samples.js';
import { entry, pushAll, startPipeline } from '../../fixtures/pipeline-harness.js';

const ENRICH_WORKER = new URL('../../fixtures/pipeline-enrich.worker.ts', import.meta.url).href;

test('names are filled before the JSON is encoded; unresolved and failing enrichment keep the kill', async (t) => {
  const h = await startPipeline(t, { enrich: true, enrichBudgetMs: 50 }, ENRICH_WORKER);
  const writes: unknown[] = [];
  h.pipeline.onCacheWrites((w) => writes.push(...w));
  await pushAll(h.pipeline, [
    entry(bytes(r2z2Entry(1)), 1),
    entry(bytes({ ...esiKillmail(2, { victim: { ship_type_id: 0 } }) }), 2, 'esi'),
    entry(bytes({ ...esiKillmail(3, { victim: { ship_type_id: 13 } }) }), 3, 'esi'),
  ]);
  await h.waitFor(3);
  const bySeq = new Map(h.outcomes.map((o) => [o.seq, o]));
  const one = bySeq.get(1);
  assert.ok(one?.kind === 'kill' && one.kill.enriched);
  assert.equal(JSON.parse(one.kill.json).victim.character_name, 'Pilot 90000001');
  const two = bySeq.get(2);
  assert.ok(two?.kind === 'kill' && !two.kill.enriched);
  const three = bySeq.get(3);
  assert.ok(three?.kind === 'kill' && !three.kill.enriched, 'an enricher error leaves ids only');
  assert.equal(h.counters.get('pipeline.enriched'), 1);
  await h.pipeline.stop(); // enrich errors arrive with the drain task's reply, after the results
  assert.equal(h.counters.get('pipeline.enrich_errors'), 1);
  assert.deepEqual(
    writes,
    [
      {
        table: 'esi_names',
        row: { id: 90000001, category: 'character', name: 'Pilot 90000001', ticker: null, extra: null, expires_at_ms: 1 },
      },
    ],
    'cache rows reach the main thread',
  );
  const stats = h.pipeline.enricherStats();
  assert.ok(stats.length >= 1 && stats.every((s) => typeof s['calls'] === 'number'));
});

test("the enricher's counters reach the main thread after the traffic stops, without another task", async (t) => {
  // One worker: its every reply is the one that may or may not carry the stats.
  const h = await startPipeline(t, { enrich: true, enrichBudgetMs: 50, workers: 1 }, ENRICH_WORKER);
  const calls = () => h.pipeline.enricherStats().reduce((sum, s) => sum + (s['calls'] ?? 0), 0);
  // Two bursts within a second: the second's reply comes too soon to carry the stats again.
  await pushAll(h.pipeline, [entry(bytes(r2z2Entry(1)), 1)]);
  await h.waitFor(1);
  await new Promise((resolve) => setTimeout(resolve, 200)); // the first task has replied (with the stats)
  await pushAll(h.pipeline, [entry(bytes(r2z2Entry(2)), 2), entry(bytes(r2z2Entry(3)), 3)]);
  await h.waitFor(3);
  const deadline = Date.now() + 5000;
  while (calls() < 3 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(calls(), 3, 'every enrich() call counted once the feed went quiet');
});

test('reenrich() fills names in stored JSON', async (t) => {
  const h = await startPipeline(t, { enrich: true }, ENRICH_WORKER);
  const stored = JSON.stringify({
    killmail_id: 5,
    kill_time: '2026-01-01T00:00:00Z',
    system_id: 1,
    victim: { character_id: 7, ship_type_id: 587, damage_taken: 0 },
    attackers: [],
    attacker_count: 0,
  });
  const r = await h.pipeline.reenrich(stored);
  assert.equal(r.enriched, true);
  assert.equal(JSON.parse(r.json).victim.character_name, 'Pilot 7');
});
