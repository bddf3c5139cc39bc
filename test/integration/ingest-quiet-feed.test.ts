// A quiet feed: one kill, then silence. Its ESI lookups outlive the enrich budget on purpose
// (the kill is stored with ids, the caches fill for its late completion), so they must keep
// running in an idle worker. Piscina's default `atomics: 'sync'` parks an idle worker in
// Atomics.wait, which also freezes its event loop: the slow answers then sit unread and the
// follow-up lookups (a system's constellation, a type's group) never leave until some other task
// wakes the worker. Real pipeline workers, the simulator's ESI over loopback HTTP.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CacheWrite } from '../../src/core/cache-rows.js';
import { createSimulator } from '../../src/sim/index.js';
import { entry, startPipeline } from '../fixtures/pipeline-harness.js';
import { defer, waitFor } from '../fixtures/ingest-harness.js';

const LATENCY_MS = 800;

test("a slow ESI answer after the budget still completes the kill's names with no other task arriving", async (t) => {
  const sim = createSimulator({ rate: 0, seed: 5 });
  await sim.start();
  defer(t, () => sim.stop());
  sim.publish(1);
  const body = new Uint8Array(await (await fetch(`${sim.url}/ephemeral/${sim.lastSequence}.json`)).arrayBuffer());

  const h = await startPipeline(t, { workers: 1, enrich: true, enrichBudgetMs: 100, esiUrl: sim.url, db: ':memory:' });
  const rows: CacheWrite[] = [];
  h.pipeline.onCacheWrites((w) => rows.push(...w));
  sim.setFaults([{ route: 'esi', kind: 'latency', latencyMs: LATENCY_MS }]);
  assert.equal(h.pipeline.push(entry(body, 1)), true);
  await h.waitFor(1, 10_000);
  const first = h.outcomes[0];
  assert.equal(first?.kind, 'kill');
  if (first?.kind !== 'kill') return;
  assert.equal(first.kill.enriched, false, 'stored with ids: the names took longer than the budget');

  // Silence from here: no entry, no re-enrich. The worker itself must read the slow answers and
  // send the lookups that depend on them.
  const requests = (route: string): number => sim.stats().requests[route] ?? 0;
  await waitFor(
    () => requests('esi.constellations') >= 1 && requests('esi.groups') >= 1,
    3 * LATENCY_MS + 15_000,
    () => `the follow-up lookups sent by the idle worker (${JSON.stringify(sim.stats().requests)})`,
  );
  // The worker posts its rows once every lookup settled: from then on its caches hold the names.
  await waitFor(
    () => rows.some((r) => r.table === 'sde_systems'),
    15_000,
    () => `the settled lookups' rows (${rows.length})`,
  );

  // The names are all in the worker's caches now: completing the stored copy asks ESI nothing.
  sim.setFaults([]);
  const before = Object.values(sim.stats().requests).reduce((a, b) => a + b, 0);
  const late = await h.pipeline.reenrich(first.kill.json);
  const after = Object.values(sim.stats().requests).reduce((a, b) => a + b, 0);
  assert.equal(late.enriched, true, `names completed: ${late.json.slice(0, 300)}`);
  assert.equal(after - before, 0, 'every name was resolved while the feed was quiet');
  const km = JSON.parse(late.json) as { solar_system_name?: string; region_id?: number };
  assert.equal(typeof km.solar_system_name, 'string');
  assert.equal(typeof km.region_id, 'number');
});

test('the rows those late lookups resolved reach the main thread without a task, for every worker to read', async (t) => {
  const sim = createSimulator({ rate: 0, seed: 6 });
  await sim.start();
  defer(t, () => sim.stop());
  sim.publish(1);
  const body = new Uint8Array(await (await fetch(`${sim.url}/ephemeral/${sim.lastSequence}.json`)).arrayBuffer());

  // Two workers: late completion may run on the one that did not look the names up, and it reads
  // them from the shared SQLite cache, which only the main thread writes.
  const h = await startPipeline(t, { workers: 2, enrich: true, enrichBudgetMs: 100, esiUrl: sim.url, db: ':memory:' });
  const rows: CacheWrite[] = [];
  h.pipeline.onCacheWrites((w) => rows.push(...w));
  sim.setFaults([{ route: 'esi', kind: 'latency', latencyMs: LATENCY_MS }]);
  assert.equal(h.pipeline.push(entry(body, 1)), true);
  await h.waitFor(1, 10_000);
  const first = h.outcomes[0];
  assert.equal(first?.kind === 'kill' && first.kill.enriched, false, 'stored with ids');
  const systemId = first?.kind === 'kill' ? first.kill.systemId : 0;

  // No entry, no re-enrich: the system row (complete only once its constellation gave the region)
  // arrives all the same.
  await waitFor(
    () => rows.some((r) => r.table === 'sde_systems' && r.row.system_id === systemId),
    3 * LATENCY_MS + 15_000,
    () => `the system's cache row on the main thread (${rows.length} rows: ${[...new Set(rows.map((r) => r.table))].join(', ')})`,
  );
  assert.ok(
    rows.some((r) => r.table === 'esi_names' && r.row.category === 'character'),
    'the names batch too',
  );
});
