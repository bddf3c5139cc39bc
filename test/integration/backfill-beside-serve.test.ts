// `wkills backfill` as a second process on the database a running server writes: both take the
// writer role in turn (WAL, BEGIN IMMEDIATE, busy_timeout), so the live feed keeps storing while
// the history goes in; every kill of both ends up stored once and the file stays consistent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { defer, feedPositioned, openDbView, spawnCli, startApp, startSim, tempDir, totals, waitFor } from '../fixtures/ingest-harness.js';

test('backfill beside a serving process: live and history kills all stored once, integrity ok', { timeout: 300_000 }, async (t) => {
  const PER_DAY = 6000;
  const sim = await startSim(t, { historyDays: 1, historyKillsPerDay: PER_DAY });
  sim.publish(1);
  const file = join(tempDir(t), 'wk.db');
  const app = await startApp(t, { source: 'r2z2', r2z2Url: sim.url, esiUrl: sim.url, zkbUrl: sim.url, db: file }, { http: true });
  await feedPositioned(app);

  const day = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
  const cli = spawnCli(t, [
    'backfill',
    '--from',
    day,
    '--r2z2-url',
    sim.url,
    '--esi-url',
    sim.url,
    '--db',
    file,
    '--enrich',
    'false',
    '--workers',
    '1',
    '--log-level',
    'warn',
    '--progress',
    'none',
    '--json',
  ]);
  let live = 1;
  const ticker = setInterval(() => (live += sim.publish(10)), 50);
  defer(t, () => clearInterval(ticker));
  const { code } = await cli.exited;
  clearInterval(ticker);
  assert.equal(code, 0, cli.stderr());
  await waitFor(
    () => totals(app).stored >= live,
    30_000,
    () => `${live} live kills stored (${JSON.stringify(app.results.stats())})`,
  );
  assert.ok(live > 50, `live kills kept flowing during the backfill (${live})`);
  // The server's in-memory character index learns the history kills without a restart: a
  // character's kills (what a WebSocket character subscription preloads) include them.
  const historyIds = Object.keys(
    (await (await fetch(`${sim.url}/history/${day.replace(/-/g, '')}.json`)).json()) as Record<string, string>,
  ).map(Number);
  const side = new Database(file, { readonly: true });
  const probe = side
    .prepare<[], [number, string]>(
      `SELECT killmail_id, character_ids FROM killmails
       WHERE character_ids <> '' AND killmail_id IN (${historyIds.slice(0, 200).join(',')}) LIMIT 1`,
    )
    .raw()
    .get();
  side.close();
  assert.ok(probe, 'a stored history kill with characters');
  const [probeId, probeChars] = probe;
  const characterId = Number(probeChars.split(',')[0]);
  await waitFor(
    () => app.store.reader.characterKillRows(characterId, 0, 100_000).some((k) => k.killmailId === probeId),
    10_000,
    () => `kill ${probeId} under character ${characterId} in the server's index`,
  );
  // /status says how the server learnt them.
  const status = (await (await fetch(`http://127.0.0.1:${app.port()}/status`)).json()) as {
    metrics: { storage: { side_writes: { catchups: number; indexed: number; errors: number } } };
  };
  const sideWrites = status.metrics.storage.side_writes;
  assert.ok(sideWrites.catchups >= 1 && sideWrites.indexed >= 1 && sideWrites.errors === 0, JSON.stringify(sideWrites));
  await app.stop();

  const history = Object.keys(
    (await (await fetch(`${sim.url}/history/${day.replace(/-/g, '')}.json`)).json()) as Record<string, string>,
  ).map(Number);
  const view = openDbView(file);
  defer(t, () => view.close());
  assert.deepEqual(view.counts(), { total: PER_DAY + live, distinct: PER_DAY + live });
  const ids = new Set(view.ids());
  assert.ok(
    history.every((id) => ids.has(id)),
    'every history kill stored',
  );
  assert.equal(totals(app).failed, 0);
  const db = new Database(file, { readonly: true });
  defer(t, () => db.close());
  assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
});
