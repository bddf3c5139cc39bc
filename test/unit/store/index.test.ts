import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { openStore, SCHEMA_VERSION } from '../../../src/store/index.js';
import { DEFAULT_TUNING, openDatabase } from '../../../src/store/open.js';
import { migrate } from '../../../src/store/migrations.js';
import { Counters } from '../../../src/telemetry/index.js';
import { idsOf, makeKill, tempDir } from './helpers.js';

const tmp = tempDir();
after(tmp.cleanup);

test('openStore on a file: write, report, stop, reopen with the data and cursors intact', async () => {
  const path = join(tmp.dir, 'data', 'wk.db');
  const counters = new Counters();
  const batchUs: number[] = [];
  const store = openStore({ path, retentionHours: 168, counters, batchHistogram: { recordUs: (us) => batchUs.push(us) } });
  assert.equal(store.path, path);
  store.start();
  const outcomes = store.writer.writeBatch(
    [makeKill({ id: 5, systemId: 30000142, characterIds: [1] }), makeKill({ id: 6, systemId: 30000144 })],
    [{ name: 'r2z2.sequence', value: '9000' }],
  );
  assert.deepEqual(outcomes, ['stored', 'stored']);
  assert.equal(batchUs.length, 1);
  store.cursors.setCursor('redisq.queue_id', 'wk-abc');

  const report = store.report();
  assert.equal(report.schemaVersion, SCHEMA_VERSION);
  assert.equal(report.killmails, 2);
  assert.equal(report.systems, 2);
  assert.equal(report.writer.stored, 2);
  assert.ok(report.dbBytes > 0);
  assert.deepEqual(store.health(), { healthy: true, message: 'writable; 1 batches, 2 kills stored' });

  await store.stop();
  assert.equal(store.health().healthy, false);
  store.close(); // idempotent after stop
  assert.equal(existsSync(path + '-wal'), false, 'a clean close leaves no WAL behind');

  const again = openStore({ path, retentionHours: 168 });
  after(() => again.close());
  assert.deepEqual(idsOf(again.reader.recentKills(0, 10)), [6, 5]);
  assert.equal(again.cursors.getCursor('r2z2.sequence'), '9000');
  assert.equal(again.cursors.getCursor('redisq.queue_id'), 'wk-abc');
  assert.deepEqual(idsOf(again.reader.killsByCharacter(1, 0, 10)), [5]);
});

test('openStore on :memory:', async () => {
  const store = openStore({ path: ':memory:', retentionHours: 0 });
  assert.equal(store.path, ':memory:');
  store.writer.writeBatch([makeKill({ id: 1 })]);
  assert.equal(store.stats().killmails, 1);
  assert.equal(store.stats().walBytes, 0);
  store.vacuum();
  await store.stop();
});

test("page caches: the reader gets dbCacheBytes, the writer its own (smaller) cache; :memory: is one connection with the reader's", () => {
  const opened = openDatabase(join(tmp.dir, 'caches.db'), (db) => void migrate(db), {
    ...DEFAULT_TUNING,
    cacheKiB: 8192,
    writerCacheKiB: 2048,
  });
  assert.equal(opened.writer.pragma('cache_size', { simple: true }), -2048);
  assert.equal(opened.reader.pragma('cache_size', { simple: true }), -8192);
  opened.close();
  const memory = openDatabase(':memory:', (db) => void migrate(db), { ...DEFAULT_TUNING, cacheKiB: 8192, writerCacheKiB: 2048 });
  assert.equal(memory.writer.pragma('cache_size', { simple: true }), -8192);
  memory.close();
});

test('a new file gets 16 KiB pages; a file made with 4 KiB pages keeps them and is served as before', async () => {
  const fresh = join(tmp.dir, 'pages', 'new.db');
  const store = openStore({ path: fresh, retentionHours: 0 });
  assert.equal(store.connection.pragma('page_size', { simple: true }), DEFAULT_TUNING.pageBytes);
  assert.equal(DEFAULT_TUNING.pageBytes, 16384);
  // The writer's backstop is 128 MiB of WAL whatever the page size.
  assert.equal(store.connection.pragma('wal_autocheckpoint', { simple: true }), 8192);
  await store.stop();

  // An older file: created by a build that left SQLite's 4 KiB default.
  const older = join(tmp.dir, 'pages', 'old.db');
  const made = openDatabase(older, (db) => void migrate(db), { ...DEFAULT_TUNING, pageBytes: 4096 });
  made.close();
  const reopened = openStore({ path: older, retentionHours: 0 });
  assert.equal(reopened.connection.pragma('page_size', { simple: true }), 4096);
  assert.equal(reopened.connection.pragma('wal_autocheckpoint', { simple: true }), 32768);
  assert.deepEqual(reopened.writer.writeBatch([makeKill({ id: 7, systemId: 30000142, characterIds: [3] })]), ['stored']);
  assert.deepEqual(idsOf(reopened.reader.recentKills(0, 10)), [7]);
  await reopened.stop();
});
