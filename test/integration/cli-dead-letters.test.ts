// `wkills db dead-letters list|retry` on a real SQLite file, through the real CLI, while a server
// serves the same file: list shows every dead letter with its body; retry replays them through
// the pipeline (an R2Z2 entry is fetched again by its feed position), stores the kills, removes
// their dead letters and keeps what still fails. The server answers the replayed kills over REST.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { openStore } from '../../src/store/index.js';
import { MALFORMED_BODY } from '../../src/sim/faults.js';
import { generatedIds, spawnCli, startApp, startSim, tempDir, START_SEQUENCE } from '../fixtures/ingest-harness.js';

test('dead letters: list, then retry into the store a serving process reads', async (t) => {
  const sim = await startSim(t);
  sim.publish(2);
  const [firstId, secondId] = generatedIds(2) as [number, number];
  const file = join(tempDir(t), 'wk.db');
  // Dead letters as the ingest leaves them: a malformed R2Z2 body with its feed position, an
  // entry whose ESI fetch never succeeded (its body is good), and a body nothing can fix.
  const entry = new Uint8Array(await (await fetch(`${sim.url}/ephemeral/${START_SEQUENCE + 1}.json`)).arrayBuffer());
  const seed = openStore({ path: file, retentionHours: 0, checkpointThread: false });
  seed.writer.deadLetter({ source: 'r2z2', reason: 'json', message: `malformed JSON (r2z2 seq ${START_SEQUENCE})`, body: MALFORMED_BODY });
  seed.writer.deadLetter({ source: 'r2z2', reason: 'esi_fetch', message: 'killmail: ESI down', body: entry });
  seed.writer.deadLetter({ source: 'redisq', reason: 'json', message: 'malformed JSON', body: '{"package":' });
  seed.close();

  // A server on the same file, with no upstream to fall back on: only the store can answer.
  const server = await startApp(t, { source: 'none', db: file, zkbUrl: 'http://127.0.0.1:1' }, { http: true });
  const base = `http://127.0.0.1:${server.port()}`;
  assert.equal((await fetch(`${base}/api/v1/killmail/${firstId}`)).status, 503, 'not stored yet');

  const list = spawnCli(t, ['db', 'dead-letters', 'list', '--db', file, '--log-level', 'silent']);
  assert.equal((await list.exited).code, 0, list.stderr());
  const lines = list
    .stdout()
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(lines.length, 4);
  assert.deepEqual(
    lines.slice(0, 3).map((l) => [l.source, l.reason]),
    [
      ['r2z2', 'json'],
      ['r2z2', 'esi_fetch'],
      ['redisq', 'json'],
    ],
  );
  assert.equal(lines[0]!.body, MALFORMED_BODY, 'the body is shown');
  assert.ok((lines[1]!.body_bytes as number) > 100);
  assert.deepEqual(lines[3], { dead_letters: 3 });

  const retry = spawnCli(t, [
    'db',
    'dead-letters',
    'retry',
    '--db',
    file,
    '--r2z2-url',
    sim.url,
    '--esi-url',
    sim.url,
    '--enrich',
    'false',
    '--workers',
    '1',
    '--log-level',
    'silent',
  ]);
  assert.equal((await retry.exited).code, 0, retry.stderr());
  assert.deepEqual(JSON.parse(retry.stdout().trim().split('\n').pop()!), {
    replayed: 3,
    stored: 2,
    already_stored: 0,
    still_failing: 1,
    not_replayable: 0,
  });

  for (const id of [firstId, secondId]) {
    const res = await fetch(`${base}/api/v1/killmail/${id}`);
    assert.equal(res.status, 200, `the serving process reads replayed kill ${id}`);
    assert.equal(((await res.json()) as { data: { killmail_id: number } }).data.killmail_id, id);
  }
  const after = spawnCli(t, ['db', 'dead-letters', 'list', '--db', file, '--log-level', 'silent']);
  assert.equal((await after.exited).code, 0);
  const left = after
    .stdout()
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(
    left.map((l) => l.source ?? l.dead_letters),
    ['redisq', 1],
    'only what still fails is kept',
  );

  const bad = spawnCli(t, ['db', 'dead-letters', 'purge', '--db', file]);
  assert.equal((await bad.exited).code, 2);
  assert.match(bad.stderr(), /list or retry/);
});
