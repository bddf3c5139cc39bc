import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Counters } from '../../../src/telemetry/counters.js';
import { Lru } from '../../../src/enrich/lru.js';
import { NameCache, ENTITY_TTL_MS, PERMANENT } from '../../../src/enrich/cache.js';
import { createWorkerEnricher } from '../../../src/enrich/index.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { CACHE_TABLES_DDL, makeKill, startFakeEsi } from './helpers.js';

describe('lru', () => {
  test('keeps recently used entries and stays bounded', () => {
    const lru = new Lru<number, string>(4);
    for (let i = 0; i < 4; i++) lru.set(i, `v${i}`);
    assert.equal(lru.get(0), 'v0'); // promoted: survives the next rotation
    for (let i = 4; i < 8; i++) lru.set(i, `v${i}`);
    assert.ok(lru.size <= 4);
    assert.equal(lru.get(7), 'v7');
    assert.equal(lru.get(1), undefined);
    lru.delete(7);
    assert.equal(lru.get(7), undefined);
  });
});

describe('name cache', () => {
  test('entries expire at their TTL; static entries never do; counters per namespace', () => {
    let now = 1_000_000;
    const counters = new Counters();
    const c = new NameCache({ dbPath: ':memory:', counters, now: () => now });
    c.put('character', 1, { name: 'A', ticker: undefined, expiresAtMs: now + ENTITY_TTL_MS });
    c.put('type', 587, { name: 'Rifter', groupId: 25, expiresAtMs: PERMANENT });
    assert.equal((c.get('character', 1, now, true) as { name: string }).name, 'A');
    now += ENTITY_TTL_MS;
    assert.equal(c.get('character', 1, now, true), undefined);
    assert.equal((c.get('type', 587, now, true) as { name: string }).name, 'Rifter');
    c.stats();
    assert.equal(counters.get('enrich.cache.hit.character'), 1);
    assert.equal(counters.get('enrich.cache.miss.character'), 1);
    assert.equal(counters.get('enrich.cache.hit.type'), 1);
    assert.equal(counters.get('enrich.cache.shared'), 0);
    const writes = c.takePendingWrites();
    assert.deepEqual(
      writes.map((w) => w.table),
      ['esi_names', 'sde_types'],
    );
    assert.deepEqual(c.takePendingWrites(), []);
  });

  test('pending writes are bounded when nobody drains them', () => {
    const counters = new Counters();
    const c = new NameCache({ dbPath: ':memory:', counters, maxPendingWrites: 2 });
    for (let i = 1; i <= 5; i++) c.put('group', i, { name: `g${i}`, categoryId: 6, expiresAtMs: PERMANENT });
    assert.equal(c.takePendingWrites().length, 2);
    assert.equal(counters.get('enrich.cache.pending_dropped'), 3);
    assert.equal((c.get('group', 5, Date.now(), false) as { name: string }).name, 'g5', 'the LRU still has it');
  });

  test('a missing database file is counted and the cache runs LRU-only', () => {
    const counters = new Counters();
    const c = new NameCache({ dbPath: '/nonexistent/dir/kills.db', counters });
    assert.equal(counters.get('enrich.cache.db_unavailable'), 1);
    c.close();
  });

  test('a database created after the worker started is picked up by a later probe', (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'wk-cache-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const dbPath = join(dir, 'kills.db');
    let now = 1_000_000;
    const c = new NameCache({ dbPath, counters: new Counters(), now: () => now });
    t.after(() => c.close());
    assert.equal(c.get('system', 30000142, now, true), undefined);
    const db = new Database(dbPath);
    db.exec(CACHE_TABLES_DDL);
    db.prepare('INSERT INTO sde_systems VALUES (30000142, ?, 0.95, 20000020, 10000002)').run('Jita');
    db.close();
    assert.equal(c.get('system', 30000142, now, true), undefined, 'not probed again within 5 s');
    now += 5000;
    assert.equal((c.get('system', 30000142, now, true) as { name: string }).name, 'Jita');
  });

  test('after the 24 h TTL names are asked again, and tickers revalidate with If-None-Match', async (t) => {
    const esi = await startFakeEsi();
    t.after(() => esi.close());
    let now = Date.now();
    const e = createWorkerEnricher({
      esiUrl: esi.url,
      userAgent: 'wk-test/1.0',
      compatibilityDate: '2026-07-21',
      dbPath: ':memory:',
      now: () => now,
    });
    t.after(() => e.close());
    assert.equal(await e.enrich(makeKill(1, 1), 2000), true);
    const firstCount = esi.seen.length;
    assert.equal(await e.enrich(makeKill(2, 1), 2000), true);
    assert.equal(esi.seen.length, firstCount);
    now += ENTITY_TTL_MS + 1000;
    assert.equal(await e.enrich(makeKill(3, 1), 2000), true);
    const later = esi.seen.slice(firstCount);
    assert.equal(later.filter((s) => s.path === '/universe/names/').length, 1);
    const corp = later.find((s) => s.path.startsWith('/corporations/'));
    assert.ok(corp?.headers['if-none-match'] !== undefined, 'conditional request for the stale ticker');
    assert.equal(later.filter((s) => s.path.startsWith('/universe/types/')).length, 0, 'types are permanent');
  });
});
