// `wkills backfill --from/--to` against the simulator's day files over real HTTP, through the
// real CLI: a day of 30,000 kills lands exactly once, and a kill -9 in the middle of the day
// followed by the same command gives the same set, no duplicate row, integrity_check ok.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { defer, openDbView, spawnCli, startSim, tempDir, waitFor, type CliChild } from '../fixtures/ingest-harness.js';

const PER_DAY = 30_000;

function yesterday(): { iso: string; compact: string } {
  const iso = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
  return { iso, compact: iso.replace(/-/g, '') };
}

function backfillArgs(url: string, db: string, day: string, extra: string[] = []): string[] {
  return [
    'backfill',
    '--from',
    day,
    '--r2z2-url',
    url,
    '--esi-url',
    url,
    '--db',
    db,
    '--enrich',
    'false',
    '--workers',
    '2',
    '--log-level',
    'warn',
    '--progress',
    'none',
    '--json',
    ...extra,
  ];
}

function report(c: CliChild): Record<string, unknown> {
  const last = c.stdout().trim().split('\n').pop() ?? '';
  return JSON.parse(last) as Record<string, unknown>;
}

function storedCount(file: string): number {
  try {
    const db = new Database(file, { readonly: true, fileMustExist: true });
    try {
      return db.prepare<[], number>('SELECT count(*) FROM killmails').pluck().get() ?? 0;
    } finally {
      db.close();
    }
  } catch {
    return 0; // not created or not migrated yet
  }
}

test(
  'a simulated day of 30,000 kills backfills exactly; kill -9 mid-day and the rerun completes it without duplicates',
  { timeout: 600_000 },
  async (t) => {
    const sim = await startSim(t, { historyDays: 1, historyKillsPerDay: PER_DAY });
    const day = yesterday();
    const expected = Object.keys((await (await fetch(`${sim.url}/history/${day.compact}.json`)).json()) as Record<string, string>)
      .map(Number)
      .sort((a, b) => a - b);
    assert.equal(expected.length, PER_DAY);
    const file = join(tempDir(t), 'wk.db');

    const first = spawnCli(t, backfillArgs(sim.url, file, day.iso));
    await waitFor(
      () => storedCount(file) >= 3000 || first.child.exitCode !== null,
      240_000,
      () => `3000 stored before the kill (${storedCount(file)})`,
    );
    assert.equal(first.child.exitCode, null, `killed mid-day, not after it finished: ${first.stderr()}`);
    first.child.kill('SIGKILL');
    await first.exited;
    const atKill = storedCount(file);
    assert.ok(atKill < PER_DAY, `the first run was stopped mid-day (${atKill} stored)`);

    const second = spawnCli(t, backfillArgs(sim.url, file, day.iso));
    const { code } = await second.exited;
    assert.equal(code, 0, second.stderr());
    const r = report(second);
    assert.equal(r.failed, 0);
    assert.equal((r.stored as number) + (r.skipped as number) + (r.expired as number) >= PER_DAY - atKill, true, JSON.stringify(r));

    const view = openDbView(file);
    defer(t, () => view.close());
    assert.deepEqual(view.counts(), { total: PER_DAY, distinct: PER_DAY });
    assert.deepEqual(view.ids(), expected, "exactly the simulator's ids");
    const db = new Database(file, { readonly: true });
    defer(t, () => db.close());
    assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
    const progress = db.prepare('SELECT unit, position, done FROM backfill_progress').all();
    assert.deepEqual(progress, [{ unit: day.compact, position: PER_DAY, done: 1 }]);

    // A third run finds the day done and touches nothing.
    const third = spawnCli(t, backfillArgs(sim.url, file, day.iso));
    assert.equal((await third.exited).code, 0, third.stderr());
    assert.equal(report(third).units_skipped, 1);
    assert.equal(report(third).stored, 0);
  },
);

test(
  'day files cut mid-body, 503 and 429 from the history routes: retried, resumed where they broke, every kill once',
  { timeout: 180_000 },
  async (t) => {
    const sim = await startSim(t, {
      historyDays: 1,
      historyKillsPerDay: 2000,
      faults: [
        { route: 'r2z2', kind: 'status', status: 503, count: 1 },
        { route: 'r2z2', kind: 'status', status: 429, retryAfterSeconds: 1, count: 1 },
        { route: 'r2z2', kind: 'truncate', count: 2 },
      ],
    });
    const day = yesterday();
    const file = join(tempDir(t), 'wk.db');
    const cli = spawnCli(t, backfillArgs(sim.url, file, day.iso));
    const { code } = await cli.exited;
    assert.equal(code, 0, cli.stderr());
    assert.equal(report(cli).failed, 0);
    const s = sim.stats();
    assert.equal(s.faultsApplied.truncate, 2, 'both truncations were served');
    assert.ok((s.routeStatuses['r2z2.history_raw']?.['200'] ?? 0) >= 3, JSON.stringify(s.routeStatuses));
    sim.setFaults([]);
    const expected = Object.keys((await (await fetch(`${sim.url}/history/${day.compact}.json`)).json()) as Record<string, string>)
      .map(Number)
      .sort((a, b) => a - b);
    const view = openDbView(file);
    defer(t, () => view.close());
    assert.deepEqual(view.ids(), expected);
    assert.deepEqual(view.counts(), { total: 2000, distinct: 2000 });
  },
);
