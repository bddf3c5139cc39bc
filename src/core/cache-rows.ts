// Rows of the shared name cache that a pipeline worker resolved, carried to the main thread (the
// one SQLite writer) on task replies and upserted there in one transaction. Declared here because
// three stages handle them: enrich produces and writes them, the pipeline carries them, app.ts
// hands them over. Plain objects with column names, so they survive postMessage unchanged.

export interface EsiNameRow {
  id: number;
  category: string;
  name: string | null;
  ticker: string | null;
  extra: string | null;
  expires_at_ms: number;
}

export type CacheWrite =
  | { table: 'esi_names'; row: EsiNameRow }
  | { table: 'esi_unresolvable'; row: { id: number; until_ms: number } }
  | { table: 'sde_types'; row: { type_id: number; name: string; group_id: number } }
  | { table: 'sde_groups'; row: { group_id: number; name: string; category_id: number } }
  | {
      table: 'sde_systems';
      row: { system_id: number; name: string; security_status: number; constellation_id: number; region_id: number };
    }
  | { table: 'esi_http_cache'; row: { url: string; etag: string | null; expires_at_ms: number; body: string } };

export type CacheTable = CacheWrite['table'];
