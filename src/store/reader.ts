// Read-side queries (REST, WebSocket preload, SSE) on their own connection, every statement
// prepared once. Results are the stored canonical JSON (texts, typed rows, or one buffer of
// bytes for the REST hot path), newest first (kill_time_ms DESC, killmail_id DESC), ready to
// splice into a response without re-encoding. Which kills a system or a character has comes from
// the in-memory indexes (system-index.ts, character-index.ts); their rows by primary key
// (rows-by-id.ts).
import { statSync } from 'node:fs';
import type { KillTexts, KillQuery, KillReader, StoredKill, StoreStats } from '../core/ports.js';
import type { Db } from './open.js';
import type { MemoryIndexes } from './system-index.js';
import { createSystemVersions, type SystemVersions } from './system-versions.js';
import { rowsById } from './rows-by-id.js';

/** Splice stored JSON texts into one JSON array text (no parse, no re-serialise). */
export function spliceJsonArray(texts: readonly string[]): string {
  return '[' + texts.join(',') + ']';
}

// The ordered query below walks killmails_by_time backwards with no sort step (checked by
// test/unit/store/reader.test.ts through EXPLAIN QUERY PLAN): the rowid is the implicit last
// key of each index, so the tie-break on killmail_id comes free.
const SQL = {
  byId: 'SELECT json FROM killmails WHERE killmail_id = ?',
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
const ROW_COLUMNS = 'killmail_id, system_id, kill_time_ms, character_ids, json';

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

export function createKillReader(db: Db, indexes: MemoryIndexes, versions: SystemVersions = createSystemVersions()): KillReader {
  const { characters, systems } = indexes;
  const texts = rowsById<string>(db, 'json', true);
  const rows = rowsById<Row>(db, ROW_COLUMNS, false);
  const byId = db.prepare<[number], string>(SQL.byId).pluck();
  const recent = db.prepare<[number, number], string>(SQL.recent).pluck();
  const totals = db.prepare<[], [number, number]>(SQL.totals).raw();
  const pageCount = db.prepare<[], number>('PRAGMA page_count').pluck();
  const pageSize = db.prepare<[], number>('PRAGMA page_size').pluck();

  const idsOf = (q: KillQuery): number[] => systems.query(q.systemId, q.sinceMs, safeLimit(q.limit));
  const killsBySystem = (q: KillQuery): string[] => texts.get(idsOf(q));

  return {
    killsBySystem,
    systemKillTexts(q): KillTexts {
      // One short-lived string per kill, written straight into the answer's body, measured 2.2x
      // cheaper than SQLite joining the texts into one BLOB (group_concat's reallocations and two
      // copies of ~200 KB): docs/PERFORMANCE.md "REST answer cache".
      const ids = idsOf(q);
      const oldest = ids.length === 0 ? undefined : systems.timeOfNth(q.systemId, q.sinceMs, ids.length);
      return { texts: texts.get(ids), oldestKillTimeMs: oldest ?? Number.POSITIVE_INFINITY };
    },
    systemKillRows: (q) => rows.get(idsOf(q)).map(toStoredKill),
    characterKillRows: (characterId, sinceMs, limit) =>
      rows.get(characters.query(characterId, sinceMs, safeLimit(limit))).map(toStoredKill),
    systemVersion: (systemId) => versions.get(systemId),
    killsBySystems(systemIds, sinceMs, limitPerSystem) {
      // One index lookup and one rows read per system.
      const out = new Map<number, string[]>();
      for (const systemId of systemIds) {
        if (!out.has(systemId)) out.set(systemId, killsBySystem({ systemId, sinceMs, limit: limitPerSystem }));
      }
      return out;
    },
    // A kill pruned by another process is skipped (rows-by-id.ts).
    killsByCharacter: (characterId, sinceMs, limit) => texts.get(characters.query(characterId, sinceMs, safeLimit(limit))),
    killById: (killmailId) => byId.get(killmailId),
    // Exact for this process's writes; a kill another process pruned counts until this process's retention passes it.
    countBySystem: (systemId, sinceMs) => systems.count(systemId, sinceMs),
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
