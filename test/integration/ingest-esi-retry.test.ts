// RedisQ short packages while ESI will not serve the killmail (issue 2: "unreachable ESI ...
// nothing lost"): the queue has already handed the kill over, so the entry is tried again
// later, and kept in dead_letters with its body if ESI never answers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { defer, openDbView, startApp, startSim, tempDir, totals, waitFor } from '../fixtures/ingest-harness.js';

const N = 5;

async function setup(t: Parameters<typeof startSim>[0], failures: number) {
  const sim = await startSim(t, { redisqShape: 'short' });
  const file = join(tempDir(t), 'wk.db');
  const app = await startApp(
    t,
    { source: 'redisq', redisqUrl: `${sim.url}/listen.php`, redisqTtwSeconds: 1, esiUrl: sim.url, zkbUrl: sim.url, db: file },
    { fetchRetryDelaysMs: [300, 300] },
  );
  await waitFor(
    () => sim.stats().redisqQueues === 1,
    10_000,
    () => 'the first RedisQ poll',
  );
  sim.setFaults([{ route: 'esi', kind: 'status', status: 503, count: failures }]);
  sim.publish(N);
  return { sim, app, file };
}

test('ESI down for a while: every short package is stored after a retry, none lost', async (t) => {
  // Each fetch makes up to 3 attempts in the worker's ESI client: 3 × N failures fail most first tries.
  const { app, file } = await setup(t, 3 * N);
  await waitFor(
    () => totals(app).stored >= N,
    20_000,
    () => `${N} stored (${JSON.stringify(app.results.stats())})`,
  );
  const db = openDbView(file);
  defer(t, () => db.close());
  assert.deepEqual(db.counts(), { total: N, distinct: N });
  assert.equal(totals(app).failed, 0);
  assert.ok(app.counters.get('ingest.fetch_retries') >= 1, 'stored through a retry');
  assert.equal(app.counters.get('ingest.fetch_retry_dead_letters'), 0);
});

test('ESI never answers: after the retries each package is dead-lettered with its body', async (t) => {
  const { app, file } = await setup(t, 100_000);
  await waitFor(
    () => app.counters.get('ingest.failed.esi_fetch') >= N,
    30_000,
    () => `${N} given up (${JSON.stringify(app.results.stats())})`,
  );
  assert.equal(totals(app).stored, 0);
  const db = new Database(file, { readonly: true });
  defer(t, () => db.close());
  const rows = db.prepare<[], { reason: string; body: Buffer }>("SELECT reason, body FROM dead_letters WHERE reason = 'esi_fetch'").all();
  assert.equal(rows.length, N);
  for (const r of rows) assert.match(r.body.toString('utf8'), /"killID"\s*:\s*\d+/, 'the package is kept for a later replay');
});
