import { test, describe, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { openStore, spliceJsonArray, type Store } from '../../../src/store/index.js';
import { READER_SQL } from '../../../src/store/reader.js';
import { openWriter } from '../../../src/store/open.js';
import { migrate } from '../../../src/store/migrations.js';
import { MS_PER_HOUR } from '../../../src/core/clock.js';
import { idsOf, makeKill, tempDir } from './helpers.js';

const tmp = tempDir();
after(tmp.cleanup);

const NOW = Date.UTC(2026, 10, 26, 12, 0, 0);
const H = MS_PER_HOUR;
const A = 30000142;
const B = 30002187;
const C = 31000005;

// id → [system, hours ago, characters]
const KILLS: [number, number, number, number[]][] = [
  [101, A, 0.5, [9001, 9002]],
  [102, A, 1, [9001]],
  [103, A, 1, [9003]], // same time as 102: tie broken by id DESC
  [104, A, 30, [9001]], // outside 24 h
  [105, B, 2, [9002, 9001]],
  [106, B, 100, []],
  [107, C, 5, [9004]],
];

for (const where of ['file', 'memory'] as const) {
  describe(`reader (${where})`, () => {
    let store: Store;
    before(() => {
      store = openStore({ path: where === 'file' ? join(tmp.dir, 'r.db') : ':memory:', retentionHours: 0 });
      store.writer.writeBatch(
        KILLS.map(([id, systemId, hoursAgo, characterIds]) => makeKill({ id, systemId, killTimeMs: NOW - hoursAgo * H, characterIds })),
      );
    });
    after(() => store.close());
    const since24 = NOW - 24 * H;

    test('killsBySystem: newest first, id DESC on equal times, since and limit applied', () => {
      const r = store.reader;
      assert.deepEqual(idsOf(r.killsBySystem({ systemId: A, sinceMs: since24, limit: 50 })), [101, 103, 102]);
      assert.deepEqual(idsOf(r.killsBySystem({ systemId: A, sinceMs: 0, limit: 50 })), [101, 103, 102, 104]);
      assert.deepEqual(idsOf(r.killsBySystem({ systemId: A, sinceMs: 0, limit: 2 })), [101, 103]);
      assert.deepEqual(r.killsBySystem({ systemId: 30000001, sinceMs: 0, limit: 50 }), []);
      assert.deepEqual(r.killsBySystem({ systemId: A, sinceMs: 0, limit: 0 }), []);
      assert.deepEqual(r.killsBySystem({ systemId: A, sinceMs: 0, limit: -1 }), [], 'a negative limit never means "all"');
    });

    test('results are the stored JSON texts, byte for byte', () => {
      const text = store.reader.killById(107);
      assert.equal(text, makeKill({ id: 107, systemId: C, killTimeMs: NOW - 5 * H, characterIds: [9004] }).json);
      assert.equal(store.reader.killById(4242), undefined);
    });

    test('killsBySystems: every requested system present, duplicates once, per-system limit', () => {
      const m = store.reader.killsBySystems([A, B, A, 30000001], since24, 2);
      assert.deepEqual([...m.keys()], [A, B, 30000001]);
      assert.deepEqual(idsOf(m.get(A) ?? []), [101, 103]);
      assert.deepEqual(idsOf(m.get(B) ?? []), [105]);
      assert.deepEqual(m.get(30000001), []);
    });

    test('killsByCharacter: newest first, since and limit', () => {
      assert.deepEqual(idsOf(store.reader.killsByCharacter(9001, 0, 10)), [101, 102, 105, 104]);
      assert.deepEqual(idsOf(store.reader.killsByCharacter(9001, since24, 10)), [101, 102, 105]);
      assert.deepEqual(idsOf(store.reader.killsByCharacter(9001, 0, 1)), [101]);
      assert.deepEqual(store.reader.killsByCharacter(12345, 0, 10), []);
    });

    test('countBySystem counts the kills in the window', () => {
      assert.equal(store.reader.countBySystem(A, since24), 3);
      assert.equal(store.reader.countBySystem(A, 0), 4);
      assert.equal(store.reader.countBySystem(B, since24), 1);
      assert.equal(store.reader.countBySystem(30000001, 0), 0);
    });

    test('recentKills: all systems, newest first', () => {
      assert.deepEqual(idsOf(store.reader.recentKills(since24, 10)), [101, 103, 102, 105, 107]);
      assert.deepEqual(idsOf(store.reader.recentKills(0, 3)), [101, 103, 102]);
    });

    test('stats: kills, systems and sizes', () => {
      const s = store.stats();
      assert.equal(s.killmails, 7);
      assert.equal(s.systems, 3);
      assert.ok(s.dbBytes > 0);
      if (where === 'file') assert.ok(s.walBytes > 0, 'uncheckpointed writes sit in the WAL');
      else assert.equal(s.walBytes, 0);
    });

    test('a new write is visible to the next read', () => {
      store.writer.writeBatch([makeKill({ id: 108, systemId: C, killTimeMs: NOW, characterIds: [9004] })]);
      assert.deepEqual(idsOf(store.reader.killsByCharacter(9004, 0, 10)), [108, 107]);
      assert.equal(store.stats().killmails, 8);
    });
  });
}

test('query plans: index range scans with no sort step', () => {
  const db = openWriter(':memory:');
  migrate(db);
  for (const [name, sql] of Object.entries(READER_SQL)) {
    const n = (sql.match(/\?/g) ?? []).length;
    const plan = (db.prepare('EXPLAIN QUERY PLAN ' + sql).all(...new Array<number>(n).fill(1)) as { detail: string }[])
      .map((r) => r.detail)
      .join(' | ');
    assert.doesNotMatch(plan, /TEMP B-TREE/, `${name}: ${plan}`);
    if (name !== 'totals') assert.doesNotMatch(plan, /^SCAN killmails/, `${name}: ${plan}`);
  }
  db.close();
});

test('spliceJsonArray makes one JSON array text', () => {
  assert.equal(spliceJsonArray([]), '[]');
  assert.equal(spliceJsonArray(['{"a":1}', '{"b":2}']), '[{"a":1},{"b":2}]');
  assert.deepEqual(JSON.parse(spliceJsonArray(['{"a":1}', '{"b":2}'])), [{ a: 1 }, { b: 2 }]);
});
