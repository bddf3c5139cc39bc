// The WAL reopens after kill -9: every batch a child process reported
// stored survives a SIGKILL delivered mid-ingest, and the file passes integrity_check.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openStore } from '../../../src/store/index.js';
import { makeKill, tempDir } from './helpers.js';

const tmp = tempDir();
after(tmp.cleanup);

const CHILD = fileURLToPath(new URL('./crash-child.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Run the child until it reported `batches` commits, SIGKILL it, return the last id it reported. */
async function runAndKill(dbPath: string, batches: number): Promise<number> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dbPath], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  const exited = once(child, 'exit');
  let lastReported = 0;
  let seen = 0;
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  try {
    for await (const line of createInterface({ input: child.stdout })) {
      if (line === 'ready') continue;
      lastReported = Number(line);
      if (++seen >= batches) {
        // Delivered while the child is inside its next transaction (it never pauses).
        child.kill('SIGKILL');
        break;
      }
    }
  } finally {
    clearTimeout(timer);
  }
  const [code, signal] = (await exited) as [number | null, string | null];
  assert.equal(signal, 'SIGKILL', `child ended by ${String(signal)} code ${String(code)}: ${stderr}`);
  assert.ok(seen >= batches, `child reported ${seen} batches before dying: ${stderr}`);
  return lastReported;
}

function assertIntact(dbPath: string, lastReported: number): number {
  const db = new Database(dbPath);
  try {
    assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
    assert.equal(db.pragma('quick_check', { simple: true }), 'ok');
    const missing = db
      .prepare<[number], number>(
        `WITH RECURSIVE ids(id) AS (SELECT 1 UNION ALL SELECT id + 1 FROM ids WHERE id < ?)
       SELECT count(*) FROM ids LEFT JOIN killmails k ON k.killmail_id = ids.id WHERE k.killmail_id IS NULL`,
      )
      .pluck()
      .get(lastReported);
    assert.equal(missing, 0, `every id up to ${lastReported} reported stored is present`);
    const cursor = Number(db.prepare('SELECT value FROM feed_cursors WHERE name = ?').pluck().get('crash-test'));
    assert.ok(cursor >= lastReported, `cursor ${cursor} covers the reported batches`);
    const stored = db.prepare<[], number>('SELECT count(*) FROM killmails').pluck().get() ?? 0;
    assert.equal(stored, cursor, 'kills and cursor committed together: no kill beyond the cursor, none missing');
    const counted = db.prepare<[], number>('SELECT sum(kills) FROM system_counts').pluck().get();
    assert.equal(counted, stored, 'system counts match the rows');
    return cursor;
  } finally {
    db.close();
  }
}

test('kill -9 during ingest loses no reported kill; the database reopens clean, twice', { timeout: 120_000 }, async () => {
  const dbPath = join(tmp.dir, 'crash.db');
  const first = await runAndKill(dbPath, 80);
  const cursor = assertIntact(dbPath, first);

  // The restarted writer resumes after the cursor and is killed again.
  const second = await runAndKill(dbPath, 20);
  assert.ok(second > cursor, 'second run resumed after the first');
  assertIntact(dbPath, second);

  // And a normal open after the crashes writes and closes cleanly.
  const store = openStore({ path: dbPath, retentionHours: 0 });
  assert.deepEqual(store.writer.writeBatch([makeKill({ id: 1 }), makeKill({ id: 1e9 })]), ['skipped', 'stored']);
  store.close();
});
