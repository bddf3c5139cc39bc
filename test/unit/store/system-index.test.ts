import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createSystemIndex } from '../../../src/store/system-index.js';
import { openStore } from '../../../src/store/index.js';
import { idsOf, makeKill, tempDir } from './helpers.js';

const tmp = tempDir();
after(tmp.cleanup);

const S = 30000142;
const NOW = Date.UTC(2026, 11, 1, 12, 0, 0);

test('the system index answers newest first by time, then id, with since and limit', () => {
  const index = createSystemIndex();
  // Out of order on purpose: appends, inserts before the tail and a tie on time.
  for (const [t, id] of [
    [300, 3],
    [100, 1],
    [500, 5],
    [300, 4],
    [200, 2],
  ] as const)
    index.add(S, t, id);
  index.add(S, 300, 4); // a repeat changes nothing
  assert.deepEqual(index.query(S, 0, 10), [5, 4, 3, 2, 1]);
  assert.deepEqual(index.query(S, 200, 10), [5, 4, 3, 2]);
  assert.deepEqual(index.query(S, 0, 2), [5, 4]);
  assert.deepEqual(index.query(S, 0, 0), []);
  assert.deepEqual(index.query(S + 1, 0, 10), []);
  assert.equal(index.count(S, 300), 3);
  assert.equal(index.timeOfNth(S, 0, 3), 300);
  assert.equal(index.timeOfNth(S, 400, 2), undefined, 'fewer than n kills since');
  assert.deepEqual(index.stats(), { systems: 1, entries: 5 });
  assert.equal(index.has(S, 300, 4), true);
  assert.equal(index.has(S, 300, 6), false);
});

test('removing at the head, in the middle and the last one of a system', () => {
  const index = createSystemIndex();
  for (let i = 1; i <= 40; i++) index.add(S, i * 10, i); // grows past the first buffers
  index.remove(S, 10, 1); // head: retention's case
  index.remove(S, 200, 20); // middle: a replaced kill
  index.remove(S, 200, 21); // not held: nothing happens
  assert.equal(index.count(S, 0), 38);
  assert.deepEqual(index.query(S, 180, 5), [40, 39, 38, 37, 36]);
  assert.deepEqual(index.query(S, 170, 100).slice(-4), [21, 19, 18, 17]);
  for (let i = 1; i <= 40; i++) index.add(S, i * 10, i); // head slot reused after the slide
  assert.equal(index.count(S, 0), 40);
  for (let i = 1; i <= 40; i++) index.remove(S, i * 10, i);
  assert.deepEqual(index.stats(), { systems: 0, entries: 0 });
});

test('a store reopened rebuilds the index from its rows; a replaced kill moves system; a late kill sorts by time', () => {
  const path = join(tmp.dir, 'reopen.db');
  const store = openStore({ path, retentionHours: 0 });
  const kills = Array.from({ length: 150 }, (_, i) => makeKill({ id: 1000 + i, systemId: S, killTimeMs: NOW - i * 1000 }));
  store.writer.writeBatch(kills);
  // Posted late: a higher id with an older time (id order and time order disagree).
  store.writer.writeBatch([makeKill({ id: 5000, systemId: S, killTimeMs: NOW - 50_500 })]);
  // The same kill, re-sent with another system, replaces the stored copy.
  store.writer.writeBatch([makeKill({ id: 1001, systemId: S + 1, killTimeMs: NOW - 1000, replace: true })]);
  const expected = kills.filter((k) => k.killmailId !== 1001).map((k) => k.killmailId);
  expected.splice(expected.indexOf(1050) + 1, 0, 5000);
  const answer = (s: typeof store) => idsOf(s.reader.killsBySystem({ systemId: S, sinceMs: 0, limit: 1000 }));
  assert.deepEqual(answer(store), expected);
  assert.deepEqual(idsOf(store.reader.killsBySystem({ systemId: S + 1, sinceMs: 0, limit: 10 })), [1001]);
  assert.equal(store.reader.countBySystem(S, 0), 150);
  const rows = store.reader.systemKillRows({ systemId: S, sinceMs: 0, limit: 1000 });
  assert.deepEqual(
    rows.map((r) => r.killmailId),
    expected,
  );
  assert.ok(rows.every((r) => r.systemId === S));
  store.close();

  const again = openStore({ path, retentionHours: 0 });
  assert.deepEqual(answer(again), expected);
  assert.equal(again.reader.countBySystem(S + 1, 0), 1);
  again.close();
});

test('a row another process deleted is skipped, the rest of the answer kept in order', () => {
  const path = join(tmp.dir, 'gone.db');
  const store = openStore({ path, retentionHours: 0 });
  store.writer.writeBatch(Array.from({ length: 100 }, (_, i) => makeKill({ id: 2000 + i, systemId: S, killTimeMs: NOW - i * 1000 })));
  const other = new Database(path);
  other.prepare('DELETE FROM killmails WHERE killmail_id IN (2001, 2070)').run();
  other.close();
  const ids = idsOf(store.reader.killsBySystem({ systemId: S, sinceMs: 0, limit: 100 }));
  assert.equal(ids.length, 98);
  assert.deepEqual(ids.slice(0, 3), [2000, 2002, 2003]);
  assert.ok(!ids.includes(2070));
  store.close();
});

test('the schema no longer keeps a SQLite index by system', () => {
  const store = openStore({ path: join(tmp.dir, 'schema.db'), retentionHours: 0 });
  const db = new Database(store.path, { readonly: true });
  const names = (
    db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'killmails'").pluck().all() as string[]
  ).sort();
  assert.deepEqual(names, ['killmails_by_stored', 'killmails_by_time']);
  db.close();
  store.close();
});
