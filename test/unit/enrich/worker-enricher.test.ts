import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServerResponse } from 'node:http';
import Database from 'better-sqlite3';
import { Counters } from '../../../src/telemetry/counters.js';
import { hasCode } from '../../../src/core/errors.js';
import { createCacheWriter, createWorkerEnricher, type EnricherWithWrites } from '../../../src/enrich/index.js';
import type { CanonicalKillmail } from '../../../src/core/killmail.js';
import { assertOrgNames, cacheDbFile, makeKill, nameOf, respondJson, startFakeEsi, type FakeEsi } from './helpers.js';

type T = { after: (fn: () => Promise<void> | void) => void };

async function setup(
  t: T,
  extra: { dbPath?: string; timeoutMs?: number } = {},
): Promise<{ esi: FakeEsi; enricher: EnricherWithWrites; counters: Counters }> {
  const esi = await startFakeEsi();
  const counters = new Counters();
  const enricher = createWorkerEnricher({
    esiUrl: esi.url,
    userAgent: 'wk-test/1.0 (ops@example.com)',
    compatibilityDate: '2026-07-21',
    dbPath: extra.dbPath ?? ':memory:',
    timeoutMs: extra.timeoutMs ?? 2000,
    counters,
    backoffBaseMs: 10,
  });
  t.after(async () => {
    await enricher.close();
    await esi.close();
  });
  return { esi, enricher, counters };
}

function assertFullyNamed(kill: CanonicalKillmail): void {
  assert.equal(kill.solar_system_name, `System ${kill.system_id}`);
  assert.equal(kill.region_id, 10000002);
  assert.equal(kill.security_status, 0.45);
  const v = kill.victim;
  assert.equal(v.ship_name, `Ship ${v.ship_type_id}`);
  assert.equal(v.ship_group_id, 25);
  assert.equal(v.ship_group_name, 'Group 25');
  for (const p of [v, ...kill.attackers]) {
    if (p.character_id !== undefined) assert.equal(p.character_name, nameOf(p.character_id).name);
    assertOrgNames(p);
    if (p.ship_type_id !== undefined) assert.equal(p.ship_name, `Ship ${p.ship_type_id}`);
  }
}

describe('worker enricher', () => {
  test('fills every §3.1 name field for a kill whose ids resolve; warm repeat makes no request', async (t) => {
    const { esi, enricher } = await setup(t);
    const kill = makeKill(1, 5);
    assert.equal(await enricher.enrich(kill, 2000), true);
    assertFullyNamed(kill);
    const calls = esi.seen.length;
    const again = makeKill(2, 5);
    assert.equal(await enricher.enrich(again, 2000), true);
    assertFullyNamed(again);
    assert.equal(esi.seen.length, calls, 'second kill with the same ids answered from the LRU');
    const names = esi.seen.filter((s) => s.path === '/universe/names/');
    assert.equal(names.length, 1, 'all entity ids of a kill go in one names call');
  });

  test('names batch of 1000 ids with one bad id: O(log n) extra calls, bad id kept as id and remembered', async (t) => {
    const { esi, enricher, counters } = await setup(t);
    const bad = 90_000_500;
    esi.unknownIds.add(bad);
    const kill: CanonicalKillmail = {
      ...makeKill(3, 0),
      victim: { character_id: 90_000_000, ship_type_id: 587, damage_taken: 1 },
      attackers: Array.from({ length: 999 }, (_, i) => ({
        character_id: 90_000_001 + i,
        damage_done: 1,
        final_blow: i === 0,
        security_status: 0,
      })),
      attacker_count: 999,
    };
    const complete = await enricher.enrich(kill, 5000);
    assert.equal(complete, true, 'the unresolvable id does not make the kill incomplete');
    const namesCalls = esi.seen.filter((s) => s.path === '/universe/names/');
    const batchSizes = namesCalls.map((s) => (JSON.parse(s.body) as number[]).length);
    assert.equal(batchSizes[0], 1000);
    assert.ok(namesCalls.length <= 2 * Math.ceil(Math.log2(1000)) + 1, `${namesCalls.length} names calls`);
    const badAttacker = kill.attackers.find((a) => a.character_id === bad);
    assert.equal(badAttacker?.character_name, undefined);
    assert.equal(kill.attackers.filter((a) => a.character_name !== undefined).length, 998);
    assert.equal(counters.get('enrich.names.unresolvable'), 1);
    const writes = enricher.takePendingWrites();
    assert.ok(writes.some((w) => w.table === 'esi_unresolvable' && w.row.id === bad));
    const before = esi.seen.length;
    const again: CanonicalKillmail = {
      ...makeKill(4, 0),
      victim: { character_id: bad, ship_type_id: 587, damage_taken: 1 },
      attackers: [],
      attacker_count: 0,
    };
    assert.equal(await enricher.enrich(again, 1000), true);
    assert.equal(esi.seen.length, before, 'a remembered unresolvable id is not asked again');
  });

  test('budget: a hanging ESI leaves the kill with ids in time; a later enrich completes it', async (t) => {
    const { esi, enricher } = await setup(t, { timeoutMs: 5000 });
    const held: (() => void)[] = [];
    let hold = true;
    esi.override = (req, res: ServerResponse) => {
      if (!hold) return false;
      held.push(() => {
        const data = req.path === '/universe/names/' ? (JSON.parse(req.body) as number[]).map((id) => ({ id, ...nameOf(id) })) : undefined;
        if (data !== undefined) respondJson(res, 200, data);
        else res.destroy();
      });
      return true;
    };
    const kill = makeKill(5, 2);
    const started = Date.now();
    assert.equal(await enricher.enrich(kill, 200), false);
    const took = Date.now() - started;
    assert.ok(took >= 190 && took < 600, `enrich returned after ${took} ms`);
    assert.equal(kill.victim.character_name, undefined);
    assert.equal(kill.victim.character_id, 90000001);
    hold = false;
    for (const release of held.splice(0)) release();
    // Destroyed sockets are retried after back-off against the now-answering server.
    assert.equal(await enricher.enrich(kill, 3000), true);
    assertFullyNamed(kill);
  });

  test('bad ESI bodies are counted with reasons; the kill keeps its ids; enrich never throws', async (t) => {
    const { esi, enricher, counters } = await setup(t);
    esi.override = (req, res) => {
      if (req.path === '/universe/names/') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('[{"id": 1, "name": ');
        return true;
      }
      if (req.path.startsWith('/universe/types/')) return respondJson(res, 200, { type_id: 587 });
      if (req.path.startsWith('/universe/systems/')) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('<html>oops</html>');
        return true;
      }
      return false;
    };
    const kill = makeKill(6, 1);
    assert.equal(await enricher.enrich(kill, 1000), false);
    assert.equal(kill.victim.character_name, undefined);
    assert.equal(kill.victim.ship_name, undefined);
    assert.equal(kill.solar_system_name, undefined);
    assert.equal(kill.victim.ship_type_id, 587);
    assert.equal(counters.get('esi.failed.truncated'), 1);
    assert.equal(counters.get('esi.failed.wrong_shape'), 2);
    assert.equal(counters.get('esi.failed.malformed'), 1);
    assert.ok(counters.get('enrich.lookup_failed.type') >= 1);
    assert.equal(enricher.stats()['enrich.partial'], 1);
  });

  test('fetchKillmail: cached after the first fetch; 404 and a wrong id throw ERR_ESI_* errors', async (t) => {
    const { esi, enricher } = await setup(t);
    const body = {
      killmail_id: 7,
      killmail_time: '2026-01-01T00:00:00Z',
      solar_system_id: 30000142,
      victim: { ship_type_id: 587, damage_taken: 1 },
      attackers: [],
    };
    esi.override = (req, res) => {
      if (req.path === '/killmails/7/abc/') return respondJson(res, 200, body);
      if (req.path === '/killmails/8/abc/') return respondJson(res, 200, body);
      return false;
    };
    assert.deepEqual(await enricher.fetchKillmail(7, 'abc'), body);
    assert.deepEqual(await enricher.fetchKillmail(7, 'abc'), body);
    assert.equal(esi.seen.length, 1);
    await assert.rejects(enricher.fetchKillmail(9, 'abc'), (err) => hasCode(err, 'ERR_ESI_HTTP_STATUS'));
    await assert.rejects(enricher.fetchKillmail(8, 'abc'), (err) => hasCode(err, 'ERR_ESI_BODY'));
  });

  test('rows resolved in a worker, applied by the main-thread writer, serve another worker with no ESI call', async (t) => {
    const { db, dbPath } = cacheDbFile(t);
    const first = await setup(t, { dbPath });
    assert.equal(await first.enricher.enrich(makeKill(10, 4), 2000), true);
    const writes = first.enricher.takePendingWrites();
    const tables = new Set(writes.map((w) => w.table));
    for (const table of ['esi_names', 'sde_types', 'sde_groups', 'sde_systems', 'esi_http_cache'])
      assert.ok(tables.has(table as never), table);
    assert.equal(createCacheWriter(db).apply(writes), writes.length);
    const second = await setup(t, { dbPath });
    const kill = makeKill(11, 4);
    assert.equal(await second.enricher.enrich(kill, 2000), true);
    assertFullyNamed(kill);
    assert.equal(second.esi.seen.length, 0, 'everything came from the shared SQLite cache');
    assert.ok(second.counters.get('enrich.cache.db_hit') > 0);
  });

  test('a database without the cache tables means LRU only (tables are never created here)', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'wk-enrich-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const dbPath = join(dir, 'empty.db');
    new Database(dbPath).close();
    const { enricher } = await setup(t, { dbPath });
    const kill = makeKill(12, 2);
    assert.equal(await enricher.enrich(kill, 2000), true);
    assertFullyNamed(kill);
    const check = new Database(dbPath, { readonly: true });
    const tables = check.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all();
    check.close();
    assert.deepEqual(tables, []);
    assert.equal(enricher.stats()['enrich.cache.shared'], 0);
  });

  test('hit and miss counters per namespace', async (t) => {
    const { enricher } = await setup(t);
    await enricher.enrich(makeKill(13, 2), 2000);
    await enricher.enrich(makeKill(14, 2), 2000);
    const s = enricher.stats();
    assert.ok((s['enrich.cache.miss.character'] ?? 0) >= 3);
    assert.ok((s['enrich.cache.hit.character'] ?? 0) >= 3);
    assert.equal(s['enrich.cache.miss.system'], 1);
    assert.equal(s['enrich.cache.hit.system'], 1);
  });
});
