// Schema migrations, tracked by PRAGMA user_version. Each migration runs in its own
// transaction together with its user_version bump, so a crash mid-migration leaves the
// previous version intact and the next open simply runs it again. Never edit a shipped
// migration: append a new one.
import { WkError } from '../core/errors.js';
import type { Db } from './open.js';
import { V2_PUSH } from './push.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

// Column order in killmails: the JSON goes last. A row is read up to the last column a query
// needs, and a large kill's JSON spills into overflow pages; retention and replace read
// system/time/character_ids without walking those pages.
//
// character_ids (comma-separated) is the durable copy of the per-character index, which lives in
// memory (character-index.ts explains why) and is rebuilt from this column at open.
//
// killmails_by_system_time has the rowid (killmail_id) as its implicit last key: scanning it
// backwards yields ORDER BY kill_time_ms DESC, killmail_id DESC with no sort step, and it covers
// countBySystem (see bench/micro/store/count.bench.ts for why counts are not bucketed).
//
// system_counts holds the total stored kills per system, maintained in the write and prune
// transactions, so stats() is a scan of ~8,000 small rows instead of count(DISTINCT) over
// every kill.
const V1_CORE = `
CREATE TABLE killmails (
  killmail_id         INTEGER PRIMARY KEY,
  system_id           INTEGER NOT NULL,
  kill_time_ms        INTEGER NOT NULL,
  total_value         REAL    NOT NULL DEFAULT 0,
  npc                 INTEGER NOT NULL DEFAULT 0,
  victim_character_id INTEGER NOT NULL DEFAULT 0,
  enriched            INTEGER NOT NULL DEFAULT 0,
  stored_at_ms        INTEGER NOT NULL,
  character_ids       TEXT    NOT NULL DEFAULT '',
  json                TEXT    NOT NULL
);
CREATE INDEX killmails_by_system_time ON killmails (system_id, kill_time_ms);
CREATE INDEX killmails_by_time ON killmails (kill_time_ms);


CREATE TABLE system_counts (
  system_id INTEGER PRIMARY KEY,
  kills     INTEGER NOT NULL
);

CREATE TABLE feed_cursors (
  name          TEXT PRIMARY KEY,
  value         TEXT NOT NULL,
  updated_at_ms INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE dead_letters (
  id      INTEGER PRIMARY KEY,
  source  TEXT NOT NULL,
  reason  TEXT NOT NULL,
  message TEXT NOT NULL,
  body    BLOB,
  at_ms   INTEGER NOT NULL
);
CREATE INDEX dead_letters_by_time ON dead_letters (at_ms);
`;

// ESI / SDE caches, written and read by enrich/ through its own connections (docs/API.md#the-canonical-killmail). The
// columns are nullable on purpose: enrich owns their semantics. esi_http_cache keeps a rowid
// because its bodies can be large (WITHOUT ROWID suits small rows only).
const V1_CACHES = `
CREATE TABLE esi_names (
  id            INTEGER PRIMARY KEY,
  category      TEXT,
  name          TEXT,
  ticker        TEXT,
  extra         TEXT,
  expires_at_ms INTEGER
);
CREATE TABLE esi_unresolvable (
  id       INTEGER PRIMARY KEY,
  until_ms INTEGER
);
CREATE TABLE sde_types (
  type_id  INTEGER PRIMARY KEY,
  name     TEXT,
  group_id INTEGER
);
CREATE TABLE sde_groups (
  group_id    INTEGER PRIMARY KEY,
  name        TEXT,
  category_id INTEGER
);
CREATE TABLE sde_systems (
  system_id        INTEGER PRIMARY KEY,
  name             TEXT,
  security_status  REAL,
  constellation_id INTEGER,
  region_id        INTEGER
);
CREATE TABLE esi_http_cache (
  url           TEXT PRIMARY KEY,
  etag          TEXT,
  expires_at_ms INTEGER,
  body          TEXT
);
`;

// Backfill progress per job (history source or file) and unit (a day, a file of a folder):
// `position` entries of the unit are committed; `done` once all are (store/progress.ts).
// killmails_by_stored: WebSocket resume (`since`) reads kills in storage order after a point;
// the rowid as implicit last key orders ties by killmail_id with no sort (store/resume-reader.ts).
const V3_BACKFILL = `
CREATE INDEX killmails_by_stored ON killmails (stored_at_ms);

CREATE TABLE backfill_progress (
  job           TEXT    NOT NULL,
  unit          TEXT    NOT NULL,
  position      INTEGER NOT NULL DEFAULT 0,
  done          INTEGER NOT NULL DEFAULT 0,
  updated_at_ms INTEGER NOT NULL,
  PRIMARY KEY (job, unit)
) WITHOUT ROWID;
`;

// killmails_by_system_time is now in memory (system-index.ts): maintaining it cost each kill a
// random leaf page, one more 8 KiB WAL frame per kill, on the write path.
const V4_SYSTEM_INDEX_IN_MEMORY = `
DROP INDEX IF EXISTS killmails_by_system_time;
`;

export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'core tables and caches', sql: V1_CORE + V1_CACHES },
  { version: 2, name: 'webhook subscriptions and outbox', sql: V2_PUSH },
  { version: 3, name: 'backfill progress', sql: V3_BACKFILL },
  { version: 4, name: 'system index in memory', sql: V4_SYSTEM_INDEX_IN_MEMORY },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;

export function schemaVersion(db: Db): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/**
 * Bring the database to the latest version. Returns the versions applied (empty when already
 * current). A database newer than this build is refused rather than written with old code.
 */
export function migrate(db: Db, migrations: readonly Migration[] = MIGRATIONS): number[] {
  const current = schemaVersion(db);
  const latest = migrations[migrations.length - 1]?.version ?? 0;
  if (current > latest) {
    throw new WkError('ERR_STORE_WRITE', `database schema version ${current} is newer than this build supports (${latest})`);
  }
  const applied: number[] = [];
  for (const m of migrations) {
    if (m.version <= current) continue;
    // IMMEDIATE takes the write lock up front: two processes opening the same new file at once
    // serialise here instead of both running CREATE TABLE.
    const ran = db
      .transaction((): boolean => {
        if (schemaVersion(db) >= m.version) return false;
        db.exec(m.sql);
        db.pragma(`user_version = ${m.version}`);
        return true;
      })
      .immediate();
    if (ran) applied.push(m.version);
  }
  return applied;
}
