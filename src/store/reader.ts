// Read-side queries (REST, WebSocket preload, SSE) on their own connection, every statement
// prepared once. Results are the stored canonical JSON (texts, typed rows, or one buffer of
// bytes for the REST hot path), newest first (kill_time_ms DESC, killmail_id DESC), ready to
// splice into a response without re-encoding.
import { statSync } from 'node:fs';
import type { KillTexts, KillQuery, KillReader, StoredKill, StoreStats } from '../core/ports.js';
import type { Db } from './open.js';
import type { CharacterIndex } from './character-index.js';
import { createSystemVersions, type SystemVersions } from './system-versions.js';

/** Splice stored JSON texts into one JSON array text (no parse, no re-serialise). */
export function spliceJsonArray(texts: readonly string[]): string {
  return '[' + texts.join(',') + ']';
}

// Every ordered query below walks an index backwards with no sort step (checked by
// test/unit/store/reader.test.ts through EXPLAIN QUERY PLAN): the rowid is the implicit last
// key of each index, so the tie-break on killmail_id comes free.
const SQL = {
  bySystem: `SELECT json FROM killmails WHERE system_id = ? AND kill_time_ms >= ?
             ORDER BY kill_time_ms DESC, killmail_id DESC LIMIT ?`,
  // The time of the LIMITth newest kill (the REST answer cache's validity), on the covering index.
  oldestOfLimit: `SELECT kill_time_ms FROM killmails WHERE system_id = ? AND kill_time_ms >= ?
             ORDER BY kill_time_ms DESC, killmail_id DESC LIMIT 1 OFFSET ?`,
  bySystemRows: `SELECT killmail_id, system_id, kill_time_ms, character_ids, json FROM killmails
             WHERE system_id = ? AND kill_time_ms >= ? ORDER BY kill_time_ms DESC, killmail_id DESC LIMIT ?`,
  rowById: 'SELECT killmail_id, system_id, kill_time_ms, character_ids, json FROM killmails WHERE killmail_id = ?',
  byId: 'SELECT json FROM killmails WHERE killmail_id = ?',
  // Counted on the covering index, exact: ~1 µs for a typical system, 0.1-0.2 ms for one with
  // 5,000 kills in the window. Hour buckets would win only for such hot systems (6-15 µs) and
  // cost an upsert per kill on the write path (bench/micro/store/count.bench.ts); fan-out asks
  // at most once per second per system.
  count: 'SELECT count(*) FROM killmails WHERE system_id = ? AND kill_time_ms >= ?',
  recent: `SELECT json FROM killmails WHERE kill_time_ms >= ?
           ORDER BY kill_time_ms DESC, killmail_id DESC LIMIT ?`,
  totals: 'SELECT count(*), coalesce(sum(kills), 0) FROM system_counts',
} as const;

export const READER_SQL: Readonly<Record<keyof typeof SQL, string>> = SQL;

/** SQLite treats a negative LIMIT as "no limit": never let a bad caller value ask for everything. */
function safeLimit(limit: number): number {
  return Number.isFinite(limit) && limit > 0 ? Math.floor(limit) : 0;
}

type Row = [number, number, number, string, string];

function parseIds(text: string): number[] {
  if (text === '') return [];
  const parts = text.split(',');
  const ids = new Array<number>(parts.length);
  for (let i = 0; i < parts.length; i++) ids[i] = Number(parts[i]);
  return ids;
}

function toStoredKill(r: Row): StoredKill {
  return { killmailId: r[0], systemId: r[1], killTimeMs: r[2], characterIds: parseIds(r[3]), json: r[4] };
}

function fileBytes(path: string): number {
  try {
    return statSync(path).size;
  } catch (err) {
    // No -wal file between a TRUNCATE checkpoint's delete and the next write: zero bytes.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
}

export function createKillReader(db: Db, characters: CharacterIndex, versions: SystemVersions = createSystemVersions()): KillReader {
  const bySystem = db.prepare<[number, number, number], string>(SQL.bySystem).pluck();
  const oldestOfLimit = db.prepare<[number, number, number], number>(SQL.oldestOfLimit).pluck();
  const bySystemRows = db.prepare<[number, number, number], Row>(SQL.bySystemRows).raw();
  const rowById = db.prepare<[number], Row>(SQL.rowById).raw();
  const byId = db.prepare<[number], string>(SQL.byId).pluck();
  const count = db.prepare<[number, number], number>(SQL.count).pluck();
  const recent = db.prepare<[number, number], string>(SQL.recent).pluck();
  const totals = db.prepare<[], [number, number]>(SQL.totals).raw();
  const pageCount = db.prepare<[], number>('PRAGMA page_count').pluck();
  const pageSize = db.prepare<[], number>('PRAGMA page_size').pluck();

  function killsBySystem(q: KillQuery): string[] {
    const limit = safeLimit(q.limit);
    return limit === 0 ? [] : bySystem.all(q.systemId, q.sinceMs, limit);
  }

  return {
    killsBySystem,
    systemKillTexts(q): KillTexts {
      // One short-lived string per kill, written straight into the answer's body, measured 2.2x
      // cheaper than SQLite joining the texts into one BLOB (group_concat's reallocations and two
      // copies of ~200 KB): docs/PERFORMANCE.md "REST answer cache".
      const texts = killsBySystem(q);
      const oldest = texts.length === 0 ? undefined : oldestOfLimit.get(q.systemId, q.sinceMs, texts.length - 1);
      return { texts, oldestKillTimeMs: oldest ?? Number.POSITIVE_INFINITY };
    },
    systemKillRows(q) {
      const limit = safeLimit(q.limit);
      return limit === 0 ? [] : bySystemRows.all(q.systemId, q.sinceMs, limit).map(toStoredKill);
    },
    characterKillRows(characterId, sinceMs, limit) {
      const out: StoredKill[] = [];
      for (const id of characters.query(characterId, sinceMs, safeLimit(limit))) {
        const row = rowById.get(id);
        if (row !== undefined) out.push(toStoredKill(row));
      }
      return out;
    },
    systemVersion: (systemId) => versions.get(systemId),
    killsBySystems(systemIds, sinceMs, limitPerSystem) {
      // One indexed range read per system: each is a short backwards walk of
      // killmails_by_system_time, cheaper than a single query that must sort across systems.
      const out = new Map<number, string[]>();
      for (const systemId of systemIds) {
        if (!out.has(systemId)) out.set(systemId, killsBySystem({ systemId, sinceMs, limit: limitPerSystem }));
      }
      return out;
    },
    killsByCharacter(characterId, sinceMs, limit) {
      // Ids from the in-memory index (character-index.ts), JSON by primary key. A kill pruned or
      // not yet visible to this connection's snapshot is skipped.
      const out: string[] = [];
      for (const id of characters.query(characterId, sinceMs, safeLimit(limit))) {
        const json = byId.get(id);
        if (json !== undefined) out.push(json);
      }
      return out;
    },
    killById: (killmailId) => byId.get(killmailId),
    countBySystem: (systemId, sinceMs) => count.get(systemId, sinceMs) ?? 0,
    recentKills(sinceMs, limit) {
      const n = safeLimit(limit);
      return n === 0 ? [] : recent.all(sinceMs, n);
    },
    stats(): StoreStats {
      const [systems, killmails] = totals.get() ?? [0, 0];
      const memory = db.memory;
      return {
        killmails,
        systems,
        dbBytes: memory ? (pageCount.get() ?? 0) * (pageSize.get() ?? 0) : fileBytes(db.name),
        walBytes: memory ? 0 : fileBytes(db.name + '-wal'),
      };
    },
  };
}
