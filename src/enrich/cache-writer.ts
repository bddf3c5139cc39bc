// Applies the rows a worker resolved (core/cache-rows.ts) on the main thread, the one SQLite
// writer, in one transaction.
import type { Database, Statement } from 'better-sqlite3';
import type { CacheTable, CacheWrite } from '../core/cache-rows.js';

export type { CacheTable, CacheWrite, EsiNameRow } from '../core/cache-rows.js';

export interface CacheWriter {
  /** Upserts every row in one transaction; returns how many were written. Unknown tables throw. */
  apply(writes: readonly CacheWrite[]): number;
}

const UPSERT: Record<CacheTable, string> = {
  esi_names:
    'INSERT OR REPLACE INTO esi_names (id, category, name, ticker, extra, expires_at_ms) VALUES (@id, @category, @name, @ticker, @extra, @expires_at_ms)',
  esi_unresolvable: 'INSERT OR REPLACE INTO esi_unresolvable (id, until_ms) VALUES (@id, @until_ms)',
  sde_types: 'INSERT OR REPLACE INTO sde_types (type_id, name, group_id) VALUES (@type_id, @name, @group_id)',
  sde_groups: 'INSERT OR REPLACE INTO sde_groups (group_id, name, category_id) VALUES (@group_id, @name, @category_id)',
  sde_systems:
    'INSERT OR REPLACE INTO sde_systems (system_id, name, security_status, constellation_id, region_id) VALUES (@system_id, @name, @security_status, @constellation_id, @region_id)',
  esi_http_cache: 'INSERT OR REPLACE INTO esi_http_cache (url, etag, expires_at_ms, body) VALUES (@url, @etag, @expires_at_ms, @body)',
};

/**
 * The main-thread side of the shared name cache. Statements are prepared here, at creation,
 * so a missing migration fails at start rather than on the first batch.
 */
export function createCacheWriter(db: Database): CacheWriter {
  const stmts = new Map<CacheTable, Statement>();
  for (const [table, sql] of Object.entries(UPSERT) as [CacheTable, string][]) stmts.set(table, db.prepare(sql));
  const run = db.transaction((writes: readonly CacheWrite[]) => {
    for (const w of writes) {
      const stmt = stmts.get(w.table);
      // An unknown table is a protocol bug between worker and main thread: fail loudly.
      if (stmt === undefined) throw new Error(`cache write for unknown table ${w.table as string}`);
      stmt.run(w.row);
    }
    return writes.length;
  });
  return { apply: (writes) => (writes.length === 0 ? 0 : run(writes)) };
}
