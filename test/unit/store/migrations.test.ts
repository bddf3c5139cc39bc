import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { migrate, schemaVersion, MIGRATIONS, SCHEMA_VERSION, type Migration } from '../../../src/store/migrations.js';
import { openDatabase, openWriter } from '../../../src/store/open.js';
import { hasCode } from '../../../src/core/errors.js';
import { tempDir } from './helpers.js';

const tmp = tempDir();
after(tmp.cleanup);

const TABLES = [
  'killmails',
  'system_counts',
  'feed_cursors',
  'dead_letters',
  'esi_names',
  'esi_unresolvable',
  'sde_types',
  'sde_groups',
  'sde_systems',
  'esi_http_cache',
];

function tableNames(db: Database.Database): string[] {
  return db.prepare<[], string>("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name").pluck().all();
}

describe('migrations', () => {
  test('from zero on a new file (parent folder created), then re-open is a no-op', () => {
    const path = join(tmp.dir, 'nested', 'deeper', 'a.db');
    const first = openDatabase(path, (db) =>
      assert.deepEqual(
        migrate(db),
        MIGRATIONS.map((m) => m.version),
      ),
    );
    assert.ok(existsSync(path));
    assert.equal(schemaVersion(first.writer), SCHEMA_VERSION);
    for (const t of TABLES) assert.ok(tableNames(first.writer).includes(t), `table ${t}`);
    first.writer.prepare('INSERT INTO feed_cursors VALUES (?, ?, ?)').run('r2z2', '42', 1);
    first.close();

    const second = openDatabase(path, (db) => assert.deepEqual(migrate(db), []));
    assert.equal(schemaVersion(second.writer), SCHEMA_VERSION);
    assert.equal(second.reader.prepare('SELECT value FROM feed_cursors').pluck().get(), '42');
    second.close();
  });

  test('pragmas: WAL, synchronous NORMAL, foreign keys; the reader is a separate read-only connection', () => {
    const opened = openDatabase(join(tmp.dir, 'p.db'), (db) => void migrate(db));
    const w = opened.writer;
    assert.equal(w.pragma('journal_mode', { simple: true }), 'wal');
    assert.equal(w.pragma('synchronous', { simple: true }), 1);
    assert.equal(w.pragma('foreign_keys', { simple: true }), 1);
    assert.equal(w.pragma('temp_store', { simple: true }), 2);
    assert.ok((w.pragma('busy_timeout', { simple: true }) as number) > 0);
    assert.notEqual(opened.reader, w);
    assert.equal(opened.reader.readonly, true);
    assert.throws(() => opened.reader.exec("INSERT INTO feed_cursors VALUES ('x', 'y', 1)"), /readonly/i);
    opened.close();
  });

  test(':memory: shares one connection for reads and writes', () => {
    const opened = openDatabase(':memory:', (db) => void migrate(db));
    assert.equal(opened.reader, opened.writer);
    assert.equal(opened.memory, true);
    assert.equal(schemaVersion(opened.writer), SCHEMA_VERSION);
    opened.close();
    assert.equal(opened.writer.open, false);
  });

  test('a failing migration rolls back with its version; earlier ones stay applied', () => {
    const db = openWriter(join(tmp.dir, 'fail.db'));
    const list: Migration[] = [
      { version: 1, name: 'ok', sql: 'CREATE TABLE one (a INTEGER);' },
      { version: 2, name: 'broken', sql: 'CREATE TABLE two (a INTEGER); INSERT INTO nope VALUES (1);' },
    ];
    assert.throws(() => migrate(db, list), /no such table: nope/);
    assert.equal(schemaVersion(db), 1);
    assert.deepEqual(tableNames(db), ['one']);
    // Fixed migration: the next open applies only version 2.
    const fixed: Migration[] = [list[0] as Migration, { version: 2, name: 'fixed', sql: 'CREATE TABLE two (a INTEGER);' }];
    assert.deepEqual(migrate(db, fixed), [2]);
    assert.deepEqual(tableNames(db), ['one', 'two']);
    db.close();
  });

  test('a database newer than this build is refused', () => {
    const path = join(tmp.dir, 'newer.db');
    const db = openWriter(path);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    assert.throws(
      () => openDatabase(path, (d) => void migrate(d)),
      (err: unknown) => hasCode(err, 'ERR_STORE_WRITE') && /newer/.test((err as Error).message),
    );
  });

  test('an empty path is refused with a clear message', () => {
    assert.throws(() => openWriter(''), /path is empty/);
  });
});
