// Another process holds the database write lock (a backup, a vacuum: issue "a database lock
// freezes the server"). Before: busy_timeout 5 s per attempt on the event loop, /ping stalled
// 10 s. Now: the server waits dbLockWaitMs at most, the result sink retries on a timer, /ping
// (another process) answers within 1 s throughout, /health answers, and nothing is lost:
// published set == stored set, integrity_check ok. `wkills db vacuum` refuses a served file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import {
  feedPositioned,
  generatedIds,
  openDbView,
  spawnCli,
  startApp,
  startSim,
  tempDir,
  totals,
  waitFor,
} from '../fixtures/ingest-harness.js';
import { PingProbe, sleep } from './abuse-support.js';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const HOLD_MS = 6000;

// Holds BEGIN IMMEDIATE (the write lock) for HOLD_MS, printing "locked" once it has it.
const HOLDER = `
const Database = require('better-sqlite3');
const db = new Database(process.argv[1]);
db.pragma('busy_timeout = 5000');
db.exec('BEGIN IMMEDIATE');
process.stdout.write('locked\\n');
setTimeout(() => { db.exec('COMMIT'); db.close(); process.exit(0); }, Number(process.argv[2]));
`;

test('a write lock held by another process: /ping < 1 s, /health answers, nothing lost', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'wk.db');
  const sim = await startSim(t);
  sim.publish(1);
  const app = await startApp(t, { source: 'r2z2', r2z2Url: sim.url, esiUrl: sim.url, db: file }, { http: true });
  await feedPositioned(app);
  sim.publish(20);
  await waitFor(
    () => totals(app).stored >= 21,
    15_000,
    () => '21 kills stored',
  );
  const base = `http://127.0.0.1:${app.port()}`;
  const probe = new PingProbe(base);
  await probe.ready();

  const holder = spawn(process.execPath, ['-e', HOLDER, file, String(HOLD_MS)], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve) => holder.stdout.once('data', () => resolve()));
  const healthStatuses: number[] = [];
  const t0 = Date.now();
  let published = 21;
  while (Date.now() - t0 < HOLD_MS + 1000) {
    published += sim.publish(3);
    const h = await fetch(`${base}/health`, { signal: AbortSignal.timeout(2000) });
    healthStatuses.push(h.status);
    await h.text();
    await sleep(400);
  }
  await new Promise<void>((resolve) => (holder.exitCode !== null ? resolve() : holder.once('exit', () => resolve())));
  await waitFor(
    () => totals(app).stored >= published,
    40_000,
    () =>
      `${published} stored (have ${JSON.stringify(totals(app))}; feed ${JSON.stringify(app.feed?.stats())}; sim ${JSON.stringify(sim.stats()).slice(0, 400)})`,
  );
  const ping = await probe.stop();
  t.diagnostic(
    `/ping max ${ping.maxMs} ms over ${ping.count}; /health statuses ${[...new Set(healthStatuses)].join(',')}; store errors ${app.counters.get('ingest.store_errors')}`,
  );
  assert.equal(ping.failures, 0);
  assert.ok(ping.maxMs < 1000, `/ping max ${ping.maxMs} ms`);
  assert.ok(
    healthStatuses.every((s) => s === 200 || s === 503),
    `health: ${healthStatuses.join(',')}`,
  );
  assert.ok(app.counters.get('ingest.store_errors') > 0, 'the lock was met (and retried)');
  const health = await fetch(`${base}/health`);
  assert.equal(health.status, 200, 'healthy again once the lock is gone');

  await app.stop();
  const view = openDbView(file);
  assert.deepEqual(view.ids(), generatedIds(published));
  view.close();
  const check = new Database(file, { readonly: true });
  assert.equal(check.pragma('integrity_check', { simple: true }), 'ok');
  check.close();
});

test('wkills db vacuum refuses a database a server is serving, and runs once it stopped', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'wk.db');
  const app = await startApp(t, { source: 'none', db: file }, { http: true });
  const refused = spawnCli(t, ['db', 'vacuum', '--db', file]);
  const r = await refused.exited;
  assert.equal(r.code, 1);
  assert.match(refused.stderr(), /is being served by process \d+ \(wkills serve\): stop it before `wkills db vacuum`/);
  assert.doesNotMatch(refused.stderr(), /\n\s+at /, 'no stack trace');
  await app.stop();
  const ran = spawnCli(t, ['db', 'vacuum', '--db', file]);
  assert.equal((await ran.exited).code, 0, ran.stderr());
});
