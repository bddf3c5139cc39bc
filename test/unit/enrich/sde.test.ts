import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { parseCsv } from '../../../src/enrich/csv.js';
import { importSde } from '../../../src/enrich/index.js';
import { CACHE_TABLES_DDL } from './helpers.js';

const GROUPS =
  'groupID,categoryID,groupName,iconID,useBasePrice,anchored,anchorable,fittableNonSingleton,published\n25,6,Frigate,None,0,0,0,0,1\n18,4,Mineral,None,0,0,0,0,1\n' +
  '1025,46,Orbital Infrastructure,None,0,0,0,0,1\n';
const TYPES =
  'typeID,groupID,typeName,description,mass,volume,capacity,portionSize,raceID,basePrice,published,marketGroupID,iconID,soundID,graphicID\r\n' +
  '587,25,Rifter,"A fast, ""cheap""\nfrigate",1,1,1,1,None,0,1,None,None,None,None\r\n' +
  '34,18,Tritanium,None,1,1,1,1,None,0,1,None,None,None,None\r\n' +
  '999,25,Unpublished Frigate,None,1,1,1,1,None,0,0,None,None,None,None\r\n' +
  '2233,1025,Customs Office,None,1,1,1,1,None,0,1,None,None,None,None\r\n' +
  'x,25,Broken,None,1,1,1,1,None,0,1,None,None,None,None\r\n';
const SYSTEMS =
  'regionID,constellationID,solarSystemID,solarSystemName,x,y,z,security\n10000002,20000020,30000142,Jita,0,0,0,0.945913\n10000002,20000020,30000144,Perimeter,0,0,0,None\n';

function memoryDb(): Database.Database {
  const db = new Database(':memory:');
  db.exec(CACHE_TABLES_DDL);
  return db;
}

describe('csv', () => {
  test('RFC 4180: quoted commas, doubled quotes, line breaks inside quotes, CRLF, no final newline', () => {
    const rows: string[][] = [];
    parseCsv('a,b,c\r\n1,"x, y","say ""hi""\nthere"\n,,\n"end"', (r) => rows.push(r));
    assert.deepEqual(rows, [['a', 'b', 'c'], ['1', 'x, y', 'say "hi"\nthere'], ['', '', ''], ['end']]);
  });
});

describe('sde import', () => {
  test('a folder: all groups, every type of the killable categories (published or not), systems; bad rows counted', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'wk-sde-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'invGroups.csv'), GROUPS);
    writeFileSync(join(dir, 'invTypes.csv'), TYPES);
    writeFileSync(join(dir, 'mapSolarSystems.csv'), SYSTEMS);
    const db = memoryDb();
    t.after(() => db.close());
    const r = await importSde(db, dir);
    assert.deepEqual(r, { groups: 3, types: 3, systems: 1, skipped: 2 });
    assert.deepEqual(db.prepare('SELECT * FROM sde_types ORDER BY type_id').all(), [
      { type_id: 587, name: 'Rifter', group_id: 25 },
      { type_id: 999, name: 'Unpublished Frigate', group_id: 25 },
      { type_id: 2233, name: 'Customs Office', group_id: 1025 },
    ]);
    assert.deepEqual(db.prepare('SELECT * FROM sde_systems').all(), [
      { system_id: 30000142, name: 'Jita', security_status: 0.945913, constellation_id: 20000020, region_id: 10000002 },
    ]);
  });

  test('single files and an http URL; invTypes alone uses groups imported earlier', async (t) => {
    const server = createServer((req, res) => {
      const body = req.url === '/dump/invTypes.csv' ? TYPES : req.url === '/dump/invGroups.csv' ? GROUPS : undefined;
      res.writeHead(body === undefined ? 404 : 200, { 'content-type': 'text/csv' });
      res.end(body ?? 'not found');
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    t.after(() => server.close());
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/dump/`;
    const db = memoryDb();
    t.after(() => db.close());
    assert.equal((await importSde(db, `${base}invGroups.csv`)).groups, 3);
    assert.equal((await importSde(db, `${base}invTypes.csv`)).types, 3);
    const folder = await importSde(db, base);
    assert.deepEqual([folder.groups, folder.types, folder.systems], [3, 3, 0], 'a folder URL skips the missing file');
  });

  test('unusable input fails with a message naming the problem', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'wk-sde-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'other.csv'), 'foo,bar\n1,2\n');
    writeFileSync(join(dir, 'invTypes.csv.bz2'), 'BZh9');
    writeFileSync(join(dir, 'types.csv'), TYPES);
    const db = memoryDb();
    t.after(() => db.close());
    await assert.rejects(importSde(db, join(dir, 'other.csv')), /unrecognised CSV header/);
    await assert.rejects(importSde(db, join(dir, 'invTypes.csv.bz2')), /bzip2/);
    await assert.rejects(importSde(db, join(dir, 'missing')), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'ERR_SDE_IMPORT');
      assert.match(err.message, /cannot read .*missing \(ENOENT\)/);
      return true;
    });
  });

  test('invTypes.csv alone with no groups known imports every type and says why', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'wk-sde-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'types.csv'), TYPES);
    const db = memoryDb();
    t.after(() => db.close());
    const r = await importSde(db, join(dir, 'types.csv'));
    assert.equal(r.types, 4, 'Rifter, Tritanium, the unpublished frigate and the customs office');
    assert.match(r.warning ?? '', /no groups known/);
  });
});
