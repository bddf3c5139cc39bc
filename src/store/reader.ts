// Read-side queries (REST, WebSocket preload, SSE) on their own connection, every statement
// prepared once. Results are the stored canonical JSON (texts, typed rows, or one buffer of
// bytes for the REST hot path), newest first (kill_time_ms DESC, killmail_id DESC), ready to
// splice into a response without re-encoding.
import { statSync } from 'node:fs';
import type { KillListBytes, KillQuery, KillReader, StoredKill, StoreStats } from '../core/ports.js';
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
  // The REST hot path: SQLite joins the stored texts itself and hands back one BLOB, so no JS
  // string (nor object) exists per kill. The LIMITed subquery runs as a co-routine that yields
  // rows in its ORDER BY order, and group_concat appends them in the order it receives them
  // (test/unit/store/reader-rows.test.ts checks newest-first on ties); an ORDER BY inside
  // group_concat would add a sort step for nothing.
  bySystemBytes: `SELECT CAST(coalesce(group_concat(json, ','), '') AS BLOB), count(*), min(kill_time_ms) FROM
             (SELECT json, kill_time_ms FROM killmails WHERE system_id = ? AND kill_time_ms >= ?
              ORDER BY kill_time_ms DESC, killmail_id DESC LIMIT ?)`,
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

const EMPTY_BYTES = Buffer.alloc(0);

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
  const bySystemBytes = db.prepare<[number, number, number], [Buffer, number, number | null]>(SQL.bySystemBytes).raw();
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
    systemKillBytes(q): KillListBytes {
      const limit = safeLimit(q.limit);
      const row = limit === 0 ? undefined : bySystemBytes.get(q.systemId, q.sinceMs, limit);
      if (row === undefined || row[1] === 0) return { bytes: EMPTY_BYTES, count: 0, oldestKillTimeMs: Number.POSITIVE_INFINITY };
      return { bytes: row[0], count: row[1], oldestKillTimeMs: row[2] ?? Number.POSITIVE_INFINITY };
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
