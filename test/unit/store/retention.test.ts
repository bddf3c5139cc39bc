import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { openStore, type Store } from '../../../src/store/index.js';
import { openDatabase } from '../../../src/store/open.js';
import { migrate } from '../../../src/store/migrations.js';
import { createRetention } from '../../../src/store/retention.js';
import { createStoreWriter } from '../../../src/store/writer.js';
import { MS_PER_HOUR } from '../../../src/core/clock.js';
import { Counters } from '../../../src/telemetry/index.js';
import { makeKill, tempDir } from './helpers.js';

const tmp = tempDir();
after(tmp.cleanup);

const NOW = Date.UTC(2026, 10, 26, 12, 0, 0);
const H = MS_PER_HOUR;

/** 10 kills older than 48 h (ids 1..10) and 5 recent ones (ids 11..15), each with two characters. */
function seed(store: Store): void {
  const old = Array.from({ length: 10 }, (_, i) =>
    makeKill({ id: i + 1, systemId: 30000001 + (i % 2), killTimeMs: NOW - (49 + i) * H, characterIds: [7000 + i, 8000] }),
  );
  const recent = Array.from({ length: 5 }, (_, i) =>
    makeKill({ id: i + 11, systemId: 30000001, killTimeMs: NOW - (i + 1) * H, characterIds: [7100 + i, 8000] }),
  );
  store.writer.writeBatch([...old, ...recent]);
}

const SEEDED_CHARACTERS = [8000, ...Array.from({ length: 10 }, (_, i) => 7000 + i), ...Array.from({ length: 5 }, (_, i) => 7100 + i)];

describe('retention', () => {
  const path = join(tmp.dir, 'ret.db');
  const counters = new Counters();
  const store = openStore({ path, retentionHours: 48, retentionBatchSize: 3, nowMs: () => NOW, counters });
  // A separate read-only handle for assertions on tables the reader does not expose.
  const peek = new Database(path, { readonly: true });
  after(() => {
    peek.close();
    store.close();
  });
  const count = (sql: string): number => peek.prepare<[], number>(sql).pluck().get() ?? -1;
  /** (character, kill) pairs in the in-memory index, over the given characters. */
  const indexEntries = (characters: readonly number[]): number =>
    characters.reduce((sum, c) => sum + store.reader.killsByCharacter(c, 0, 100).length, 0);

  test('prunes only kills past the retention, in batches, with their index rows and counts', async () => {
    seed(store);
    store.writer.deadLetter({ source: 'r2z2', reason: 'json', message: 'old' });
    assert.equal(store.stats().killmails, 15);
    assert.equal(indexEntries(SEEDED_CHARACTERS), 30);
    const pruned = await store.retention.pruneNow();
    assert.equal(pruned, 10);
    const st = store.retention.stats();
    assert.equal(st.prunedKills, 10);
    assert.equal(st.batches, 4, '3 + 3 + 3 + 1');
    assert.equal(counters.get('store.pruned'), 10);
    assert.equal(count('SELECT count(*) FROM killmails'), 5);
    assert.equal(count('SELECT min(killmail_id) FROM killmails'), 11);
    assert.equal(indexEntries(SEEDED_CHARACTERS), 10, 'old index entries gone, recent ones kept');
    assert.equal(indexEntries(SEEDED_CHARACTERS.filter((c) => c < 7100)), 0);
    assert.deepEqual(store.stats().killmails, 5);
    assert.equal(store.stats().systems, 1, 'system 30000002 had only old kills');
    assert.equal(store.reader.countBySystem(30000001, 0), 5);
    assert.equal(store.reader.killsByCharacter(8000, 0, 100).length, 5);
    assert.equal(count('SELECT count(*) FROM dead_letters'), 1, 'the dead letter written "now" is inside retention');
    assert.equal(await store.retention.pruneNow(), 0, 'a second run finds nothing');
  });

  test('batches yield to the event loop between transactions', async () => {
    const o = openDatabase(':memory:', (db) => void migrate(db));
    after(() => o.close());
    const w = createStoreWriter(o.writer);
    w.writeBatch(Array.from({ length: 50 }, (_, i) => makeKill({ id: i + 1, killTimeMs: NOW - 100 * H })));
    const r = createRetention({ db: o.writer, retentionHours: 1, batchSize: 10, nowMs: () => NOW });
    let ticks = 0;
    const spin = (): void => {
      ticks++;
      if (ticks < 1000) setImmediate(spin);
    };
    setImmediate(spin);
    assert.equal(await r.pruneNow(), 50);
    const ticksDuringPrune = ticks;
    ticks = 1000; // stop the spinner
    assert.equal(r.stats().batches, 6, '5 full batches + 1 empty');
    // The prune started synchronously, so the spinner only ran in the gaps between batches.
    assert.ok(ticksDuringPrune >= 5, `event loop turns between batches: ${ticksDuringPrune}`);
  });

  test('retentionHours 0 keeps everything; start/stop run on the timer', async () => {
    const o = openDatabase(':memory:', (db) => void migrate(db));
    after(() => o.close());
    const w = createStoreWriter(o.writer);
    w.writeBatch([makeKill({ id: 1, killTimeMs: 0 })]);
    const r = createRetention({ db: o.writer, retentionHours: 0, intervalMs: 10, nowMs: () => NOW });
    r.start();
    const deadline = Date.now() + 5000;
    while (r.stats().runs === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    await r.stop();
    assert.equal(r.stats().prunedKills, 0);
    assert.equal(o.writer.prepare('SELECT count(*) FROM killmails').pluck().get(), 1);
  });

  test('stop() lets a long run finish its current batch and end', async () => {
    const o = openDatabase(':memory:', (db) => void migrate(db));
    after(() => o.close());
    const w = createStoreWriter(o.writer);
    w.writeBatch(Array.from({ length: 200 }, (_, i) => makeKill({ id: i + 1, killTimeMs: NOW - 100 * H })));
    const r = createRetention({ db: o.writer, retentionHours: 1, batchSize: 10, nowMs: () => NOW });
    const run = r.pruneNow(); // the first batch runs synchronously, the next after a yield
    await r.stop();
    assert.equal(await run, 10);
    assert.equal(o.writer.prepare('SELECT count(*) FROM killmails').pluck().get(), 190);
  });

  test('batches are sized from the measured cost per kill, between min(batchSize, 25) and batchSize', async () => {
    const seeded = (n: number): ReturnType<typeof openDatabase> => {
      const o = openDatabase(':memory:', (db) => void migrate(db));
      after(() => o.close());
      createStoreWriter(o.writer).writeBatch(
        Array.from({ length: n }, (_, i) => makeKill({ id: i + 1, killTimeMs: NOW - 100 * H, characterIds: [i + 1] })),
      );
      return o;
    };
    // A 1 µs target keeps every batch at the floor: 300 / 25 = 12 full batches, then an empty one.
    const small = createRetention({ db: seeded(300).writer, retentionHours: 1, batchSize: 500, targetBatchMs: 0.001, nowMs: () => NOW });
    assert.equal(await small.pruneNow(), 300);
    assert.equal(small.stats().batches, 13);
    // A 10 s target reaches the ceiling after the first (unmeasured) 25-row batch: 25 + 5 x 500 + 475.
    const big = createRetention({ db: seeded(3000).writer, retentionHours: 1, batchSize: 500, targetBatchMs: 10_000, nowMs: () => NOW });
    assert.equal(await big.pruneNow(), 3000);
    assert.equal(big.stats().batches, 7);
  });

  test('rejects a bad batch size', () => {
    const o = openDatabase(':memory:', (db) => void migrate(db));
    after(() => o.close());
    assert.throws(() => createRetention({ db: o.writer, retentionHours: 1, batchSize: 0 }), /batchSize/);
  });
});

describe('WAL watch', () => {
  test('TRUNCATE when the writer is idle; PASSIVE past the size threshold while busy', () => {
    const path = join(tmp.dir, 'wal.db');
    const o = openDatabase(path, (db) => void migrate(db));
    after(() => o.close());
    const w = createStoreWriter(o.writer);
    w.writeBatch(Array.from({ length: 200 }, (_, i) => makeKill({ id: i + 1, padTo: 2000 })));
    const wal = (): number => statSync(path + '-wal').size;
    assert.ok(wal() > 100_000, `WAL holds the batch (${wal()} bytes)`);

    let clock = Date.now();
    const busy = createRetention({
      db: o.writer,
      retentionHours: 0,
      walCheckpointBytes: 1024,
      idleMs: 60_000,
      lastWriteAtMs: () => w.lastWriteAtMs(),
      nowMs: () => clock,
    });
    assert.equal(busy.checkpointIfNeeded(), 'passive');
    assert.ok(wal() > 0, 'PASSIVE copies frames but does not shrink the file below the limit');

    clock += 120_000; // the writer has now been idle for two minutes
    assert.equal(busy.checkpointIfNeeded(), 'truncate');
    assert.equal(wal(), 0);
    assert.equal(busy.checkpointIfNeeded(), 'none', 'nothing to do on an empty WAL');
    assert.equal(busy.stats().checkpoints, 2);
    assert.equal(o.writer.pragma('busy_timeout', { simple: true }), 5000, 'busy timeout restored after TRUNCATE');
  });
});
