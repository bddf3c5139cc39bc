// `sde import` of the shared fuzzwork fixtures, then the real fixture killmails enriched with an
// ESI that knows nothing: ship and system names must come from the imported tables.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Counters } from '../../src/telemetry/counters.js';
import { createWorkerEnricher, importSde } from '../../src/enrich/index.js';
import { parseCsv } from '../../src/enrich/csv.js';
import { cacheDbFile, respondJson, sharedFixtures, startFakeEsi } from '../unit/enrich/helpers.js';
import { toCanonical, type EsiBody } from '../unit/enrich/canonical.js';

const fixtures = sharedFixtures();
// Counted in the fixture invTypes.csv: the types of the categories in KILLABLE_CATEGORIES.
const TYPES_OF_KILLABLE_CATEGORIES = 14_683;
const skip = fixtures === undefined ? '../shared/fixtures is absent: SDE fixture test skipped' : false;

test('sde import of the fuzzwork fixtures names the real fixture killmails with no ESI help', { skip }, async (t) => {
  const root = fixtures as string;
  const { db, dbPath } = cacheDbFile(t);

  const r = await importSde(db, join(root, 'sde/fuzzwork'));
  assert.equal(r.types, TYPES_OF_KILLABLE_CATEGORIES, 'every type a victim or attacker can be, published or not');
  assert.equal(r.systems, 8490);
  assert.equal(r.groups, 1555);

  const esi = await startFakeEsi();
  t.after(() => esi.close());
  // Every route 404s, except names, which is down: bisecting thousands of unknown ids one 404
  // at a time would only test the names path (covered elsewhere) and take seconds.
  esi.override = (req, res) =>
    req.path === '/universe/names/' ? respondJson(res, 503, { error: 'down' }) : respondJson(res, 404, { error: 'not found' });
  const counters = new Counters();
  const enricher = createWorkerEnricher({
    esiUrl: esi.url,
    userAgent: 'wk-test/1.0',
    compatibilityDate: '2026-07-21',
    dbPath,
    counters,
    maxAttempts: 1,
  });
  t.after(() => enricher.close());

  const csvTypes = new Set<number>();
  parseCsv(readFileSync(join(root, 'sde/fuzzwork/invTypes.csv'), 'utf8'), (row) => csvTypes.add(Number(row[0])));
  const typeName = db.prepare(
    'SELECT t.name AS name, g.name AS group_name, t.group_id AS group_id FROM sde_types t JOIN sde_groups g ON g.group_id = t.group_id WHERE t.type_id = ?',
  );
  const system = db.prepare('SELECT name, region_id, security_status FROM sde_systems WHERE system_id = ?');
  const folder = join(root, 'killmails/esi');
  let namedShips = 0;
  let namedSystems = 0;
  let kills = 0;
  for (const file of readdirSync(folder).filter((f) => f.endsWith('.json'))) {
    const body = JSON.parse(readFileSync(join(folder, file), 'utf8')) as EsiBody & { killmail_hash: string };
    const kill = toCanonical(body, body.killmail_hash);
    await enricher.enrich(kill, 5000);
    kills++;
    const ship = typeName.get(kill.victim.ship_type_id) as { name: string; group_name: string; group_id: number } | undefined;
    assert.ok(ship !== undefined, `${file}: victim type ${kill.victim.ship_type_id} imported`);
    assert.equal(kill.victim.ship_name, ship.name, `${file} victim ship`);
    assert.equal(kill.victim.ship_group_name, ship.group_name);
    assert.equal(kill.victim.ship_group_id, ship.group_id);
    namedShips++;
    const sys = system.get(kill.system_id) as { name: string; region_id: number; security_status: number } | undefined;
    assert.ok(sys !== undefined, `${file}: system ${kill.system_id} imported`);
    assert.equal(kill.solar_system_name, sys.name, `${file} system`);
    assert.equal(kill.region_id, sys.region_id);
    assert.equal(kill.security_status, sys.security_status);
    namedSystems++;
    for (const a of kill.attackers) {
      if (a.ship_type_id === undefined || !csvTypes.has(a.ship_type_id)) continue;
      const at = typeName.get(a.ship_type_id) as { name: string } | undefined;
      assert.equal(a.ship_name, at?.name, `${file}: attacker ship ${a.ship_type_id}`);
      assert.notEqual(a.ship_name, undefined, `${file}: attacker ship ${a.ship_type_id} named`);
    }
  }
  assert.equal(kills, 106, 'the 106 real fixture kills');
  assert.equal(namedShips, kills, 'every victim ship named from the SDE');
  assert.equal(namedSystems, kills, 'every system named from the SDE');
  assert.ok(counters.get('enrich.cache.db_hit') > 0);
  assert.equal(esi.seen.filter((s) => s.path.startsWith('/universe/systems/')).length, 0, 'no system asked from ESI');
});
