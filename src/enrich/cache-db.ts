// SQLite side of the name cache: prepared readers for the shared tables that exist, and the
// mapping of a resolved entry to the row the main-thread writer upserts.
import type Database from 'better-sqlite3';
import type { CacheWrite } from './cache-writer.js';
import type { HttpCacheRow } from './http-cache.js';
import {
  PERMANENT,
  type Cached,
  type ConstellationEntry,
  type EntityEntry,
  type EntryOf,
  type GroupEntry,
  type Namespace,
  type SystemEntry,
  type TypeEntry,
} from './cache-types.js';

export type Loader = (id: number, nowMs: number) => Cached<Namespace> | undefined;

type Row = Record<string, unknown>;

export function installLoaders(
  db: Database.Database,
  present: ReadonlySet<string>,
  loaders: Map<Namespace, Loader>,
  setHttp: (fn: (url: string) => HttpCacheRow | undefined) => void,
): void {
  if (present.has('esi_names')) {
    const names = db.prepare('SELECT name, ticker, extra, expires_at_ms FROM esi_names WHERE id = ?');
    const gone = present.has('esi_unresolvable') ? db.prepare('SELECT until_ms FROM esi_unresolvable WHERE id = ?') : undefined;
    const entity: Loader = (id, nowMs) => {
      const u = gone?.get(id) as Row | undefined;
      if (u !== undefined && Number(u['until_ms']) > nowMs) return { unresolvable: true, expiresAtMs: Number(u['until_ms']) };
      const r = names.get(id) as Row | undefined;
      if (r === undefined || Number(r['expires_at_ms']) <= nowMs) return undefined;
      return { name: str(r['name']), ticker: str(r['ticker']), expiresAtMs: Number(r['expires_at_ms']) };
    };
    for (const ns of ['character', 'corporation', 'alliance'] as const) loaders.set(ns, entity);
    loaders.set('constellation', (id) => {
      const r = names.get(id) as Row | undefined;
      const regionId = r === undefined ? undefined : parseRegion(r['extra']);
      return regionId === undefined ? undefined : { regionId, expiresAtMs: PERMANENT };
    });
  }
  if (present.has('sde_types')) {
    const s = db.prepare('SELECT name, group_id FROM sde_types WHERE type_id = ?');
    loaders.set('type', (id) => {
      const r = s.get(id) as Row | undefined;
      const name = str(r?.['name']);
      return r === undefined || name === undefined ? undefined : { name, groupId: Number(r['group_id']), expiresAtMs: PERMANENT };
    });
  }
  if (present.has('sde_groups')) {
    const s = db.prepare('SELECT name, category_id FROM sde_groups WHERE group_id = ?');
    loaders.set('group', (id) => {
      const r = s.get(id) as Row | undefined;
      const name = str(r?.['name']);
      return r === undefined || name === undefined ? undefined : { name, categoryId: Number(r['category_id']), expiresAtMs: PERMANENT };
    });
  }
  if (present.has('sde_systems')) {
    const s = db.prepare('SELECT name, security_status, constellation_id, region_id FROM sde_systems WHERE system_id = ?');
    loaders.set('system', (id) => {
      const r = s.get(id) as Row | undefined;
      const name = str(r?.['name']);
      if (r === undefined || name === undefined) return undefined;
      const region = r['region_id'];
      return {
        name,
        securityStatus: Number(r['security_status']),
        constellationId: Number(r['constellation_id']),
        regionId: typeof region === 'number' ? region : undefined,
        expiresAtMs: PERMANENT,
      };
    });
  }
  if (present.has('esi_http_cache')) {
    const s = db.prepare('SELECT url, etag, expires_at_ms, body FROM esi_http_cache WHERE url = ?');
    setHttp((url) => s.get(url) as HttpCacheRow | undefined);
  }
}

export function toWrite(ns: Namespace, id: number, e: EntryOf[Namespace]): CacheWrite | undefined {
  switch (ns) {
    case 'character':
    case 'corporation':
    case 'alliance': {
      const x = e as EntityEntry;
      return {
        table: 'esi_names',
        row: { id, category: ns, name: x.name ?? null, ticker: x.ticker ?? null, extra: null, expires_at_ms: x.expiresAtMs },
      };
    }
    case 'constellation':
      return {
        table: 'esi_names',
        row: {
          id,
          category: 'constellation',
          name: null,
          ticker: null,
          extra: JSON.stringify({ region_id: (e as ConstellationEntry).regionId }),
          expires_at_ms: Number.MAX_SAFE_INTEGER,
        },
      };
    case 'type':
      return { table: 'sde_types', row: { type_id: id, name: (e as TypeEntry).name, group_id: (e as TypeEntry).groupId } };
    case 'group':
      return { table: 'sde_groups', row: { group_id: id, name: (e as GroupEntry).name, category_id: (e as GroupEntry).categoryId } };
    case 'system': {
      const s = e as SystemEntry;
      // sde_systems rows are complete by contract; a system still waiting for its region stays in the LRU.
      if (s.regionId === undefined) return undefined;
      return {
        table: 'sde_systems',
        row: { system_id: id, name: s.name, security_status: s.securityStatus, constellation_id: s.constellationId, region_id: s.regionId },
      };
    }
  }
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function parseRegion(extra: unknown): number | undefined {
  if (typeof extra !== 'string') return undefined;
  const m = /"region_id"\s*:\s*(\d+)/.exec(extra);
  return m === null ? undefined : Number(m[1]);
}
