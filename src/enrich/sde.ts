// `wkills sde import FILE_OR_URL`: loads fuzzwork SDE CSV dumps (invGroups.csv, invTypes.csv,
// mapSolarSystems.csv) into sde_groups/sde_types/sde_systems so a fresh install resolves ship
// and system names without thousands of ESI calls. Files are recognised by their header row,
// so renamed files work. Types: only published types of category 6 (Ship) are kept — that is
// what killmails name as `ship_type_id` (550 types in the 2025 SDE); any other type id still
// resolves through ESI /universe/types/{id}/ on demand. All groups are kept (1,555 rows), so a
// group name is known for every type the ESI path adds later. All solar systems are kept.
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Database } from 'better-sqlite3';
import { columnIndex, parseCsv } from './csv.js';

export const SHIP_CATEGORY_ID = 6;
const FILE_NAMES = ['invGroups.csv', 'invTypes.csv', 'mapSolarSystems.csv'];

export interface SdeImportResult {
  types: number;
  groups: number;
  systems: number;
  /** Data rows without a usable id or name. */
  skipped: number;
}

type Kind = 'groups' | 'types' | 'systems';

/** `source`: a folder with the fuzzwork CSVs, one CSV file, or an http(s) URL of a file or a folder ending in '/'. */
export async function importSde(db: Database, source: string): Promise<SdeImportResult> {
  const texts = await loadSources(source);
  const byKind = new Map<Kind, string[][]>();
  for (const text of texts) {
    const rows: string[][] = [];
    parseCsv(text, (r) => rows.push(r));
    const kind = kindOf(rows[0] ?? []);
    if (kind === undefined) throw new Error(`sde import: unrecognised CSV header: ${(rows[0] ?? []).slice(0, 4).join(',')}`);
    byKind.set(kind, rows);
  }
  if (byKind.size === 0) throw new Error(`sde import: no fuzzwork CSV found in ${source} (expected ${FILE_NAMES.join(', ')})`);
  const result: SdeImportResult = { types: 0, groups: 0, systems: 0, skipped: 0 };
  db.transaction(() => {
    const groups = byKind.get('groups');
    if (groups !== undefined) insertGroups(db, groups, result);
    const types = byKind.get('types');
    if (types !== undefined) insertTypes(db, types, shipGroups(db), result);
    const systems = byKind.get('systems');
    if (systems !== undefined) insertSystems(db, systems, result);
  })();
  return result;
}

function kindOf(header: readonly string[]): Kind | undefined {
  if (columnIndex(header, 'solarSystemID') >= 0) return 'systems';
  if (columnIndex(header, 'typeID') >= 0 && columnIndex(header, 'typeName') >= 0) return 'types';
  if (columnIndex(header, 'groupID') >= 0 && columnIndex(header, 'groupName') >= 0) return 'groups';
  return undefined;
}

async function loadSources(source: string): Promise<string[]> {
  if (/^https?:\/\//i.test(source)) {
    const urls = source.endsWith('/') ? FILE_NAMES.map((f) => source + f) : [source];
    const texts: string[] = [];
    for (const url of urls) {
      const text = await fetchText(url, urls.length > 1);
      if (text !== undefined) texts.push(text);
    }
    return texts;
  }
  const info = await stat(source);
  if (!info.isDirectory()) return [await readLocal(source)];
  const present = new Set(await readdir(source));
  return Promise.all(FILE_NAMES.filter((f) => present.has(f)).map((f) => readLocal(join(source, f))));
}

async function readLocal(path: string): Promise<string> {
  rejectCompressed(path);
  return readFile(path, 'utf8');
}

/** `optional`: a folder URL may lack some of the three files (404 → skipped). */
async function fetchText(url: string, optional: boolean): Promise<string | undefined> {
  rejectCompressed(url);
  const res = await fetch(url, { signal: AbortSignal.timeout(60_000) });
  if (res.status === 404 && optional) {
    await res.body?.cancel();
    return undefined;
  }
  if (!res.ok) throw new Error(`sde import: GET ${url} answered ${res.status}`);
  return res.text();
}

function rejectCompressed(path: string): void {
  // No bzip2 decoder among the dependencies; fuzzwork serves .csv.bz2, so say what to do.
  if (/\.bz2$/i.test(path)) throw new Error(`sde import: ${path} is bzip2-compressed; decompress it first (bzip2 -dk)`);
}

function toInt(v: string | undefined): number | undefined {
  if (v === undefined || !/^-?\d+$/.test(v.trim())) return undefined;
  return Number(v);
}

function toNum(v: string | undefined): number | undefined {
  if (v === undefined || v.trim() === '' || v === 'None') return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

function cols(header: readonly string[], names: readonly string[]): number[] {
  return names.map((name) => {
    const i = columnIndex(header, name);
    if (i < 0) throw new Error(`sde import: column ${name} missing from header`);
    return i;
  });
}

function insertGroups(db: Database, rows: string[][], out: SdeImportResult): void {
  const [gi, ci, ni] = cols(rows[0] ?? [], ['groupID', 'categoryID', 'groupName']) as [number, number, number];
  const stmt = db.prepare('INSERT OR REPLACE INTO sde_groups (group_id, name, category_id) VALUES (?, ?, ?)');
  for (const r of rows.slice(1)) {
    const id = toInt(r[gi]);
    const cat = toInt(r[ci]);
    const name = r[ni];
    if (id === undefined || cat === undefined || name === undefined || name === '') {
      out.skipped++;
      continue;
    }
    stmt.run(id, name, cat);
    out.groups++;
  }
}

function shipGroups(db: Database): Set<number> {
  const rows = db.prepare('SELECT group_id FROM sde_groups WHERE category_id = ?').all(SHIP_CATEGORY_ID) as { group_id: number }[];
  return new Set(rows.map((r) => r.group_id));
}

function insertTypes(db: Database, rows: string[][], ships: ReadonlySet<number>, out: SdeImportResult): void {
  if (ships.size === 0) throw new Error('sde import: invTypes.csv needs invGroups.csv (imported now or before) to find ship groups');
  const [ti, gi, ni, pi] = cols(rows[0] ?? [], ['typeID', 'groupID', 'typeName', 'published']) as [number, number, number, number];
  const stmt = db.prepare('INSERT OR REPLACE INTO sde_types (type_id, name, group_id) VALUES (?, ?, ?)');
  for (const r of rows.slice(1)) {
    const id = toInt(r[ti]);
    const group = toInt(r[gi]);
    const name = r[ni];
    if (id === undefined || id <= 0 || group === undefined || name === undefined || name === '') {
      out.skipped++;
      continue;
    }
    const published = r[pi] === '1' || r[pi]?.toLowerCase() === 'true';
    if (!published || !ships.has(group)) continue;
    stmt.run(id, name, group);
    out.types++;
  }
}

function insertSystems(db: Database, rows: string[][], out: SdeImportResult): void {
  const names = ['solarSystemID', 'solarSystemName', 'security', 'constellationID', 'regionID'];
  const [si, ni, sec, ci, ri] = cols(rows[0] ?? [], names) as [number, number, number, number, number];
  const stmt = db.prepare(
    'INSERT OR REPLACE INTO sde_systems (system_id, name, security_status, constellation_id, region_id) VALUES (?, ?, ?, ?, ?)',
  );
  for (const r of rows.slice(1)) {
    const id = toInt(r[si]);
    const name = r[ni];
    const security = toNum(r[sec]);
    const constellation = toInt(r[ci]);
    const region = toInt(r[ri]);
    if (id === undefined || name === undefined || name === '' || security === undefined || constellation === undefined || region === undefined) {
      out.skipped++;
      continue;
    }
    stmt.run(id, name, security, constellation, region);
    out.systems++;
  }
}
