// kill -9 on a fresh database before the first kill was stored (issue 11): the starting cursor is
// written before the first entry is fetched, so a restart resumes at the first tip the server saw
// instead of a newer one, and no kill published in between is skipped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { defer, generatedIds, openDbView, spawnCli, startSim, tempDir, waitFor, serveArgs } from '../fixtures/ingest-harness.js';

const LATER = 30;

test('kill -9 before the first stored kill on a fresh database: the restart skips nothing', async (t) => {
  // Hold sequence.json and then the first entry for 3 s each: the server has read the tip and
  // is waiting for entry N when it is killed, so nothing is stored yet.
  const sim = await startSim(t, { faults: [{ route: 'r2z2', kind: 'latency', latencyMs: 3000, count: 2 }] });
  sim.publish(1);
  const file = join(tempDir(t), 'wk.db');

  const first = spawnCli(t, serveArgs(sim.url, file));
  await waitFor(
    () => (sim.stats().requests['r2z2.sequence'] ?? 0) >= 1 || first.child.exitCode !== null,
    30_000,
    () => `sequence.json read (stderr: ${first.stderr()})`,
  );
  await new Promise((r) => setTimeout(r, 500)); // the request for entry N is now held
  first.child.kill('SIGKILL');
  assert.equal((await first.exited).signal, 'SIGKILL');
  const view = openDbView(file);
  assert.equal(view.counts().total, 0, 'killed before any kill was stored');
  assert.equal(view.cursor('r2z2'), String(sim.lastSequence - 1), 'the starting cursor was saved before the first fetch');
  view.close();

  sim.publish(LATER); // the tip moves on while the server is down
  const second = spawnCli(t, serveArgs(sim.url, file));
  const db = openDbView(file);
  defer(t, () => db.close());
  await waitFor(
    () => db.counts().total >= LATER + 1 || second.child.exitCode !== null,
    30_000,
    () => `${LATER + 1} stored after restart (have ${db.counts().total}; stderr: ${second.stderr()})`,
  );
  second.child.kill('SIGTERM');
  assert.equal((await second.exited).code, 0, `SIGTERM exit (stderr: ${second.stderr()})`);
  assert.deepEqual(db.ids(), generatedIds(LATER + 1), 'the first tip and everything after it');
});
