// The typed and bytes-returning reads (WebSocket preload, REST answer cache) and the per-system
// versions the writer and retention bump: every change to a system's kills moves its version.
import { test, describe, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { openStore, type Store } from '../../../src/store/index.js';
import { MS_PER_HOUR } from '../../../src/core/clock.js';
import { makeKill, tempDir } from './helpers.js';

const tmp = tempDir();
after(tmp.cleanup);

const NOW = Date.UTC(2026, 10, 26, 12, 0, 0);
const H = MS_PER_HOUR;
const A = 30000142;
const B = 30002187;

const KILLS = [
  makeKill({ id: 101, systemId: A, killTimeMs: NOW - 0.5 * H, characterIds: [9001, 9002] }),
  makeKill({ id: 102, systemId: A, killTimeMs: NOW - 1 * H, characterIds: [9001] }),
  makeKill({ id: 103, systemId: A, killTimeMs: NOW - 1 * H, characterIds: [9003] }), // tie with 102: id DESC
  makeKill({ id: 104, systemId: A, killTimeMs: NOW - 30 * H, characterIds: [] }),
  makeKill({ id: 105, systemId: B, killTimeMs: NOW - 2 * H, characterIds: [9002, 9001], padTo: 3000 }),
];
const jsonOf = (id: number): string => KILLS.find((k) => k.killmailId === id)!.json;

for (const where of ['file', 'memory'] as const) {
  describe(`typed and byte reads (${where})`, () => {
    let store: Store;
    before(() => {
      store = openStore({ path: where === 'file' ? join(tmp.dir, `rows-${where}.db`) : ':memory:', retentionHours: 0, nowMs: () => NOW });
      store.writer.writeBatch(KILLS);
    });
    after(() => store.close());

    test('systemKillTexts: the stored texts, newest first, with the oldest time', () => {
      const r = store.reader.systemKillTexts({ systemId: A, sinceMs: NOW - 24 * H, limit: 50 });
      assert.deepEqual(r.texts, [101, 103, 102].map(jsonOf));
      assert.equal(r.oldestKillTimeMs, NOW - H);
      const limited = store.reader.systemKillTexts({ systemId: A, sinceMs: 0, limit: 2 });
      assert.deepEqual(limited.texts, [101, 103].map(jsonOf));
      assert.equal(limited.oldestKillTimeMs, NOW - H);
      const none = store.reader.systemKillTexts({ systemId: 30000001, sinceMs: 0, limit: 50 });
      assert.deepEqual([none.texts.length, none.oldestKillTimeMs], [0, Number.POSITIVE_INFINITY]);
      assert.equal(
        store.reader.systemKillTexts({ systemId: A, sinceMs: 0, limit: -1 }).texts.length,
        0,
        'a negative limit never means "all"',
      );
    });

    test('systemKillTexts: the oldest time of the LIMITth kill among many with equal times', () => {
      const many = Array.from({ length: 300 }, (_, i) =>
        makeKill({ id: 5000 + i, systemId: 31000001, killTimeMs: NOW - Math.floor(i / 7) * 1000 }),
      );
      store.writer.writeBatch(many);
      const q = { systemId: 31000001, sinceMs: 0, limit: 250 };
      const r = store.reader.systemKillTexts(q);
      assert.deepEqual(r.texts, store.reader.killsBySystem(q));
      assert.equal(r.oldestKillTimeMs, NOW - Math.floor(249 / 7) * 1000);
    });

    test('systemKillRows and characterKillRows: typed rows, no parsing needed', () => {
      const rows = store.reader.systemKillRows({ systemId: A, sinceMs: NOW - 24 * H, limit: 50 });
      assert.deepEqual(
        rows.map((r) => [r.killmailId, r.systemId, r.killTimeMs, r.characterIds]),
        [
          [101, A, NOW - 0.5 * H, [9001, 9002]],
          [103, A, NOW - H, [9003]],
          [102, A, NOW - H, [9001]],
        ],
      );
      assert.equal(rows[0]!.json, jsonOf(101));
      const byChar = store.reader.characterKillRows(9001, 0, 10);
      assert.deepEqual(
        byChar.map((r) => [r.killmailId, r.systemId]),
        [
          [101, A],
          [102, A],
          [105, B],
        ],
      );
      assert.equal(byChar[2]!.json, jsonOf(105));
      assert.deepEqual(store.reader.systemKillRows({ systemId: A, sinceMs: 0, limit: 50 }).at(-1)!.characterIds, []);
    });

    test('systemVersion moves on store, replace (both systems), re-enrichment and prune, and only for that system', () => {
      const r = store.reader;
      const v = (id: number): number => r.systemVersion(id);
      let a = v(A);
      let b = v(B);
      store.writer.writeBatch([makeKill({ id: 106, systemId: A, killTimeMs: NOW })]);
      assert.notEqual(v(A), a, 'stored');
      assert.equal(v(B), b, 'other system untouched');
      a = v(A);
      store.writer.writeBatch([makeKill({ id: 106, systemId: A, killTimeMs: NOW })]);
      assert.equal(v(A), a, 'a duplicate (skipped) changes nothing');
      store.writer.writeBatch([makeKill({ id: 106, systemId: B, killTimeMs: NOW, replace: true })]);
      assert.ok(v(A) !== a && v(B) !== b, 'a replacement that moves the kill changes both systems');
      b = v(B);
      assert.equal(store.writer.updateJson(106, makeKill({ id: 106, systemId: B, label: 'x' }).json, true), true);
      assert.notEqual(v(B), b, 're-enriched JSON');
      assert.equal(store.writer.updateJson(999_999, '{}', true), false, 'no such kill');
      a = v(A);
      b = v(B);
      assert.equal(store.retention.pruneBatch(NOW - 24 * H), 1, 'kill 104 pruned');
      assert.notEqual(v(A), a, 'pruned');
      assert.equal(v(B), b);
    });
  });
}
