import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { openDatabase, type OpenedDb } from '../../../src/store/open.js';
import { migrate } from '../../../src/store/migrations.js';
import { createStoreWriter, invalidReason } from '../../../src/store/writer.js';
import { createCharacterIndex, type CharacterIndex } from '../../../src/store/character-index.js';
import { hasCode } from '../../../src/core/errors.js';
import { Counters } from '../../../src/telemetry/index.js';
import { makeKill, tempDir } from './helpers.js';

const tmp = tempDir();
after(tmp.cleanup);

function setup(path: string): { o: OpenedDb; w: ReturnType<typeof createStoreWriter>; counters: Counters; chars: CharacterIndex } {
  const o = openDatabase(path, (db) => void migrate(db));
  const counters = new Counters();
  const chars = createCharacterIndex();
  return { o, w: createStoreWriter(o.writer, { counters, nowMs: () => 1_000, characters: chars }), counters, chars };
}

/** The characters (of those the tests use) whose index lists the kill. */
function charRows(chars: CharacterIndex, killmailId: number): number[] {
  return [90, 91, 92, 93].filter((c) => chars.query(c, 0, 1000).includes(killmailId));
}

function systemCount(o: OpenedDb, systemId: number): number | undefined {
  return o.writer.prepare<[number], number>('SELECT kills FROM system_counts WHERE system_id = ?').pluck().get(systemId);
}

for (const where of ['file', 'memory'] as const) {
  describe(`writer (${where})`, () => {
    const path = where === 'file' ? join(tmp.dir, 'w.db') : ':memory:';
    const { o, w, counters, chars } = setup(path);
    after(() => o.close());

    test('stored, skipped (also a duplicate inside one batch), replaced, new-with-replace', () => {
      const out = w.writeBatch([
        makeKill({ id: 1, systemId: 30000001, characterIds: [90, 91] }),
        makeKill({ id: 2, systemId: 30000001 }),
        makeKill({ id: 1, systemId: 30000001, characterIds: [90, 91] }),
        makeKill({ id: 3, systemId: 30000002, replace: true }),
      ]);
      assert.deepEqual(out, ['stored', 'stored', 'skipped', 'stored']);
      assert.deepEqual(w.writeBatch([makeKill({ id: 2, systemId: 30000001 })]), ['skipped']);
      assert.equal(systemCount(o, 30000001), 2);
      assert.equal(systemCount(o, 30000002), 1);
      assert.deepEqual(charRows(chars, 1), [90, 91]);

      const replacement = makeKill({ id: 1, systemId: 30000001, characterIds: [90, 92], label: 'relabelled', replace: true });
      assert.deepEqual(w.writeBatch([replacement]), ['replaced']);
      const row = o.writer.prepare('SELECT json, character_ids FROM killmails WHERE killmail_id = 1').get() as {
        json: string;
        character_ids: string;
      };
      assert.equal(row.json, replacement.json);
      assert.equal(row.character_ids, '90,92');
      assert.deepEqual(charRows(chars, 1), [90, 92]);
      assert.equal(systemCount(o, 30000001), 2, 'a replace is not a new kill');
      const st = w.stats();
      assert.deepEqual([st.stored, st.skipped, st.replaced], [3, 2, 1]);
      assert.equal(counters.get('store.stored'), 3);
      assert.equal(counters.get('store.skipped'), 2);
      assert.equal(counters.get('store.replaced'), 1);
    });

    test('a replace that moves the kill to another system moves its count', () => {
      w.writeBatch([makeKill({ id: 10, systemId: 30000010 })]);
      assert.deepEqual(w.writeBatch([makeKill({ id: 10, systemId: 30000011, replace: true })]), ['replaced']);
      assert.equal(systemCount(o, 30000010), undefined, 'an emptied system disappears');
      assert.equal(systemCount(o, 30000011), 1);
    });

    test('an invalid record is dead-lettered with its reason; the rest of the batch is stored', () => {
      const bad = { ...makeKill({ id: 20 }), systemId: Number.NaN };
      assert.equal(invalidReason(bad), 'systemId');
      assert.equal(invalidReason({ ...makeKill({ id: 21 }), characterIds: [0] }), 'characterIds');
      assert.equal(invalidReason({ ...makeKill({ id: 22 }), json: '' }), 'json');
      const out = w.writeBatch([bad, makeKill({ id: 21 })]);
      assert.deepEqual(out, ['invalid', 'stored']);
      const dl = o.writer.prepare("SELECT reason, message, CAST(body AS TEXT) AS body FROM dead_letters WHERE source = 'store'").get() as {
        reason: string;
        message: string;
        body: string;
      };
      assert.equal(dl.reason, 'invalid_record');
      assert.match(dl.message, /invalid systemId in killmail 20/);
      assert.equal(dl.body, bad.json);
      assert.equal(counters.get('store.invalid'), 1);
    });

    test('cursors commit atomically with the batch: a failed batch leaves neither kills nor cursor', () => {
      w.writeBatch([makeKill({ id: 30 })], [{ name: 'r2z2', value: '100' }]);
      assert.equal(w.getCursor('r2z2'), '100');
      // Make the second kill of the next batch fail inside the transaction.
      o.writer.exec(
        "CREATE TEMP TRIGGER fail_666 BEFORE INSERT ON killmails WHEN NEW.killmail_id = 666 BEGIN SELECT RAISE(ABORT, 'boom'); END",
      );
      assert.throws(
        () => w.writeBatch([makeKill({ id: 31 }), makeKill({ id: 666 })], [{ name: 'r2z2', value: '101' }]),
        (err: unknown) => hasCode(err, 'ERR_STORE_WRITE') && /boom/.test((err as Error).message),
      );
      o.writer.exec('DROP TRIGGER fail_666');
      assert.equal(w.getCursor('r2z2'), '100');
      assert.equal(o.writer.prepare('SELECT count(*) FROM killmails WHERE killmail_id = 31').pluck().get(), 0);
      assert.equal(w.health().healthy, false);
      assert.match(w.health().message, /boom/);
      assert.equal(w.stats().writeErrors, 1);
      // The next good batch (the retry) succeeds and clears the unhealthy state.
      assert.deepEqual(w.writeBatch([makeKill({ id: 31 })], [{ name: 'r2z2', value: '101' }]), ['stored']);
      assert.equal(w.getCursor('r2z2'), '101');
      assert.equal(w.health().healthy, true);
    });

    test('cursor-only batches, setCursor immediately, unknown cursor is undefined', () => {
      assert.deepEqual(w.writeBatch([], [{ name: 'redisq.queue', value: 'abc' }]), []);
      assert.equal(w.getCursor('redisq.queue'), 'abc');
      w.setCursor('backfill', '2026-01-01');
      assert.equal(w.getCursor('backfill'), '2026-01-01');
      assert.equal(w.getCursor('nope'), undefined);
      assert.deepEqual(w.writeBatch([]), []);
    });

    test('updateJson replaces the JSON and the enriched flag of a stored kill only', () => {
      w.writeBatch([makeKill({ id: 40, enriched: false })]);
      assert.equal(w.updateJson(40, '{"killmail_id":40,"named":true}', true), true);
      assert.equal(w.updateJson(999_999, '{}', true), false);
      const row = o.writer.prepare('SELECT json, enriched FROM killmails WHERE killmail_id = 40').get() as {
        json: string;
        enriched: number;
      };
      assert.deepEqual(row, { json: '{"killmail_id":40,"named":true}', enriched: 1 });
    });

    test('deadLetter stores bytes, text and no body', () => {
      w.deadLetter({ source: 'r2z2', reason: 'json', message: 'Unexpected token', body: new Uint8Array([123, 0, 255]) });
      w.deadLetter({ source: 'redisq', reason: 'shape', message: 'x'.repeat(5000), body: '{"a":1}' });
      w.deadLetter({ source: 'pipeline', reason: 'dead_letter', message: 'retried twice' });
      const rows = o.writer
        .prepare("SELECT source, length(message) AS len, body FROM dead_letters WHERE source != 'store' ORDER BY id")
        .all() as {
        source: string;
        len: number;
        body: Buffer | string | null;
      }[];
      assert.deepEqual(
        rows.map((r) => r.source),
        ['r2z2', 'redisq', 'pipeline'],
      );
      assert.deepEqual([...(rows[0]?.body as Buffer)], [123, 0, 255]);
      assert.equal(rows[1]?.len, 2000, 'messages are capped');
      assert.equal(rows[1]?.body, '{"a":1}');
      assert.equal(rows[2]?.body, null);
      assert.equal(counters.get('store.dead_letters'), 3);
    });

    test('a closed database is an ERR_STORE_WRITE and unhealthy', () => {
      const other = setup(':memory:');
      other.o.close();
      assert.throws(
        () => other.w.writeBatch([makeKill({ id: 1 })]),
        (err: unknown) => hasCode(err, 'ERR_STORE_WRITE'),
      );
      assert.equal(other.w.health().healthy, false);
    });
  });
}
