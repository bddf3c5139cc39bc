// Ingest end to end over RedisQ (issue 2): the app long-polls the simulator's listen.php
// (302 → object.php), and the workers complete short packages ({killID, zkb}) from the
// simulator's ESI killmail route. Both package shapes must store every published kill once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { RedisqShape } from '../../src/sim/index.js';
import { defer, generatedIds, openDbView, served, startApp, startSim, tempDir, totals, waitFor } from '../fixtures/ingest-harness.js';

const N = 60;

for (const shape of ['short', 'inline'] as const satisfies readonly RedisqShape[]) {
  test(`RedisQ ${shape} packages: every published kill is stored once`, async (t) => {
    const sim = await startSim(t, { redisqShape: shape });
    const file = join(tempDir(t), 'wk.db');
    const app = await startApp(t, {
      source: 'redisq',
      redisqUrl: `${sim.url}/listen.php`,
      redisqTtwSeconds: 1,
      esiUrl: sim.url,
      zkbUrl: sim.url,
      db: file,
    });
    // The simulator opens a queue at its tip on the first poll; kills published before it are not the queue's.
    await waitFor(
      () => sim.stats().redisqQueues === 1,
      10_000,
      () => 'the first RedisQ poll',
    );
    assert.equal(sim.publish(N), N);
    await waitFor(
      () => totals(app).stored >= N,
      20_000,
      () => `${N} stored (${JSON.stringify(app.results.stats())}, feed ${JSON.stringify(app.feed?.stats())})`,
    );

    const db = openDbView(file);
    defer(t, () => db.close());
    assert.deepEqual(db.counts(), { total: N, distinct: N });
    assert.deepEqual(db.ids(), generatedIds(N));
    const stats = totals(app);
    assert.equal(stats.failed, 0);
    assert.equal(stats.skipped, 0);
    assert.equal(app.counters.get('feed.redisq.received'), N);
    assert.equal(served(sim, 'redisq.object'), N + app.counters.get('feed.redisq.no_kills'), 'one object per kill, plus the empty answers');
    // Short packages carry no killmail: each one is an ESI fetch by a worker; inline ones need none.
    assert.equal(served(sim, 'esi.killmail'), shape === 'short' ? N : 0);
    const row = db.row(generatedIds(1)[0] ?? 0);
    assert.ok(row, 'first kill stored');
    const kill = JSON.parse(row.json) as { killmail_id: number; system_id: number; attacker_count: number; attackers: unknown[] };
    assert.equal(kill.system_id, row.system_id);
    assert.equal(kill.attacker_count, kill.attackers.length);
  });
}
