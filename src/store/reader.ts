// Read-side queries (REST, WebSocket preload, SSE) on their own connection, every statement
// prepared once. Results are the stored canonical JSON texts, newest first
// (kill_time_ms DESC, killmail_id DESC), ready to splice into a response without re-encoding.
import { statSync } from 'node:fs';
import type { KillQuery, KillReader, StoreStats } from '../core/ports.js';
import type { Db } from './open.js';
import type { CharacterIndex } from './character-index.js';

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

function fileBytes(path: string): number {
  try {
    return statSync(path).size;
  } catch (err) {
    // No -wal file between a TRUNCATE checkpoint's delete and the next write: zero bytes.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
}

export function createKillReader(db: Db, characters: CharacterIndex): KillReader {
  const bySystem = db.prepare<[number, number, number], string>(SQL.bySystem).pluck();
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
