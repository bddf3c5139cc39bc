// GET /api/v1/killmail/{id} through the real app: a kill the store never saw is fetched from
// the zKB API (the simulator's /api/killID/{id}/), normalised and enriched by a pipeline worker
// (names from the simulator's ESI), returned — and neither stored nor broadcast.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startApp, startSim, tempDir } from '../fixtures/ingest-harness.js';
import { join } from 'node:path';

interface Envelope {
  data?: Record<string, unknown> & { victim?: Record<string, unknown>; attackers?: Record<string, unknown>[] };
  error?: string;
  code?: string;
}

test('an archived kill is fetched, enriched and returned, not stored', async (t) => {
  const sim = await startSim(t, { rate: 0, historyDays: 1, historyKillsPerDay: 5 });
  const day = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10).replace(/-/g, '');
  const history = (await (await fetch(`${sim.url}/history/${day}.json`)).json()) as Record<string, string>;
  const id = Number(Object.keys(history)[0]);
  assert.ok(id > 0, `the simulator archived kills for ${day}`);

  const app = await startApp(
    t,
    { source: 'none', db: join(tempDir(t), 'k.db'), zkbUrl: sim.url, esiUrl: sim.url, enrich: true, enrichBudgetMs: 5000 },
    { http: true },
  );
  const base = `http://127.0.0.1:${app.port()}`;

  const res = await fetch(`${base}/api/v1/killmail/${id}`);
  assert.equal(res.status, 200);
  const body = (await res.json()) as Envelope;
  const km = body.data!;
  assert.equal(km.killmail_id, id);
  assert.equal(typeof km.solar_system_name, 'string', 'system name resolved through ESI');
  assert.equal(typeof km.victim?.ship_name, 'string', 'victim ship name resolved');
  assert.equal(typeof (km.zkb as { totalValue?: unknown }).totalValue, 'number', 'zkb kept in camelCase');
  assert.equal(app.store.reader.killById(id), undefined, 'a fetched kill is not stored');
  assert.equal(app.results.stats().broadcast, 0, 'nor broadcast');

  const missing = await fetch(`${base}/api/v1/killmail/999999999`);
  assert.equal(missing.status, 404);
  assert.equal(((await missing.json()) as Envelope).code, 'not_found');
});

test('an unreachable zKB API is a 503 in the error envelope, and the server keeps serving', async (t) => {
  const app = await startApp(t, { source: 'none', db: ':memory:', zkbUrl: 'http://127.0.0.1:1' }, { http: true });
  const base = `http://127.0.0.1:${app.port()}`;
  const res = await fetch(`${base}/api/v1/killmail/123456`);
  assert.equal(res.status, 503);
  assert.equal(((await res.json()) as Envelope).code, 'unavailable');
  assert.equal((await fetch(`${base}/ping`)).status, 200);
});

test('zKillboard lookups are bounded: past 4 in flight and 32 waiting, a request gets 503 at once', async (t) => {
  const sim = await startSim(t, { rate: 0, faults: [{ route: 'zkb', kind: 'latency', latencyMs: 400 }] });
  // One client IP sends all 40: the per-IP limit is off here, it has its own test (zkb-protection).
  const app = await startApp(
    t,
    { source: 'none', db: ':memory:', zkbUrl: sim.url, esiUrl: sim.url, upstreamPerIpPerMinute: 0 },
    { http: true },
  );
  const base = `http://127.0.0.1:${app.port()}`;
  // 40 different unknown ids (the handler joins identical ones): 4 run, 32 wait, 4 are refused.
  const statuses = await Promise.all(
    Array.from({ length: 40 }, (_, i) => fetch(`${base}/api/v1/killmail/${900_000_000 + i}`).then((r) => r.status)),
  );
  assert.equal(statuses.filter((s) => s === 503).length, 4, JSON.stringify(statuses));
  assert.equal(statuses.filter((s) => s === 404).length, 36, 'the rest were looked up (unknown to zKillboard)');
  assert.equal(app.counters.get('zkb.busy'), 4);
  assert.ok(sim.stats().requests['zkb.killID'] === 36, 'no more than the admitted lookups reached zKillboard');
});
